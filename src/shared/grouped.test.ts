import { describe, expect, it } from 'vitest';
import { grouped } from './grouped.js';

describe('grouped writes', () => {
  it('writes a lone call at once, and what arrives meanwhile together, each answered its own result', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const write = grouped(async (items: number[]) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => n * 10);
    });
    const first = write(1);
    const later = [write(2), write(3), write(4)];
    expect(writes).toEqual([[1]]); // the first went at once; the others wait for it
    release();
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps batches within the largest size', async () => {
    const sizes: number[] = [];
    const write = grouped(async (items: number[]) => {
      sizes.push(items.length);
      return items;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => write(n)));
    expect(sizes).toEqual([1, 2, 2]);
  });

  it('fails every call of a failed write, and writes the next ones', async () => {
    let fail = true;
    const write = grouped(async (items: string[]) => {
      if (fail) throw new Error('database unreachable');
      return items;
    });
    await expect(write('a')).rejects.toThrow('database unreachable');
    fail = false;
    expect(await write('b')).toBe('b');
  });
});
