-- Every charge rewrites its account's row (the balance). Pages kept a tenth free let
-- PostgreSQL update the row in place (a HOT update: no new entry in the accounts' indexes),
-- where a full page moves it and adds an entry to every index. Applies to pages written from
-- now on: an existing row gets the room once its first update has moved it.
ALTER TABLE "accounts" SET (fillfactor = 90);
