export function startScheduler(_k: unknown, _l: unknown) { return { stop() {} }; }
