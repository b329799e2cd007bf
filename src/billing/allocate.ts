// The billing run's decision for one account, as a pure function: subscriptions are tried
// one by one in order; each is paid if what is left covers it, otherwise it is suspended and
// the next one is still tried (seed 001). The set-based SQL in ./charge-batch.ts implements
// the same rule for whole batches; tests check the two agree.
import type { Minor } from '../money/money.js';

export interface Due {
  id: number;
  price: Minor;
}

export interface Allocation {
  paid: number[];
  suspended: number[];
  total: Minor;
}

export function allocate(available: Minor, dues: readonly Due[]): Allocation {
  const paid: number[] = [];
  const suspended: number[] = [];
  let left = available;
  for (const due of dues) {
    if (due.price <= left) {
      paid.push(due.id);
      left -= due.price;
    } else {
      suspended.push(due.id);
    }
  }
  return { paid, suspended, total: available - left };
}
