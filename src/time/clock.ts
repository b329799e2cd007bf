// All time comes from one injected clock. The simulated clock only moves when told to,
// and its time lives in the database so every process sharing it agrees.
export interface Clock {
  readonly kind: 'real' | 'simulated';
  now(): Date;
}

export const realClock: Clock = { kind: 'real', now: () => new Date() };

export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(to: Date): void {
    if (to.getTime() < this.current.getTime()) throw new Error('the simulated clock never goes back');
    this.current = new Date(to.getTime());
  }
}
