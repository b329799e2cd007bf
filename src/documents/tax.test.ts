import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOT_SUBJECT_NOTE, REVERSE_CHARGE_NOTE, type TaxTreatment, splitGross, taxDocument, taxTreatment } from './tax.js';

const standard = (rate: string): TaxTreatment => ({ category: 'S', rate, note: null });

describe('VAT on tax-inclusive prices', () => {
  it.each([
    // gross, rate: net = gross / (1 + rate) half to even, tax = gross - net
    [11900n, '19', 10000n, 1900n], // 119.00 / 1.19 = 100.00
    [100n, '19', 84n, 16n], // 1.00 / 1.19 = 0.8403... -> 0.84
    [1n, '19', 1n, 0n], // 0.01 / 1.19 = 0.0084 -> 0.01
    [1200n, '20', 1000n, 200n], // 12.00 UAH / 1.20 = 10.00
    [107n, '7', 100n, 7n],
    [2675n, '7', 2500n, 175n], // 26.75 / 1.07 = 25.00
    [5n, '25', 4n, 1n], // 0.05 / 1.25 = 0.04
    [-11900n, '19', -10000n, -1900n], // a credit note's negative line splits the same way
  ])('gross %i at %s%%: net %i, tax %i', (gross, rate, net, tax) => {
    expect(splitGross(gross, standard(rate))).toEqual({ net, tax, gross });
  });

  it.each([
    // a tie only comes with an odd net at a rate that halves it: gross x 100 / (100 + 900) = k + 0.5
    [5n, 0n], // 0.5 -> 0 (to even)
    [15n, 2n], // 1.5 -> 2
    [25n, 2n], // 2.5 -> 2
  ])('rounds a net on the half to even: %i at 900%% nets %i', (gross, net) => {
    expect(splitGross(gross, standard('900')).net).toBe(net);
  });

  it('adds up: every line and the totals are net + tax = gross, and the gross total is the sum charged', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), { maxLength: 20 }), fc.constantFrom('19', '20', '7.7', '21', '5.5', '0.1'), (grosses, rate) => {
        const doc = taxDocument(grosses, standard(rate));
        for (const line of doc.lines) expect(line.net + line.tax).toBe(line.gross);
        expect(doc.totals.gross).toBe(grosses.reduce((a, b) => a + b, 0n));
        expect(doc.totals.net + doc.totals.tax).toBe(doc.totals.gross);
        expect(doc.summary).toEqual([{ category: 'S', rate, ...doc.totals }]);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  const rates = { DE: '19', FR: '20', UA: '20', AT: '0' };
  it.each([
    ['a consumer in the seller country', 'DE', 'DE', null, { category: 'S', rate: '19', note: null }],
    ['a business in the seller country', 'DE', 'DE', 'DE136695976', { category: 'S', rate: '19', note: null }],
    ['a consumer in another member state: its own rate', 'DE', 'FR', null, { category: 'S', rate: '20', note: null }],
    ['a business in another member state: reverse charge', 'DE', 'FR', 'FR40303265045', { category: 'AE', rate: '0', note: REVERSE_CHARGE_NOTE }],
    ['a business outside the EU: its country rate', 'DE', 'UA', '123456789012', { category: 'S', rate: '20', note: null }],
    ['a buyer whose country has no rate: the seller country one', 'DE', 'US', null, { category: 'S', rate: '19', note: null }],
    ['a zero rate set for the country', 'DE', 'AT', null, { category: 'Z', rate: '0', note: null }],
    ['no rate for either country', 'CH', 'US', null, { category: 'O', rate: '0', note: NOT_SUBJECT_NOTE }],
    ['a seller outside the EU never reverse-charges', 'UA', 'DE', 'DE136695976', { category: 'S', rate: '19', note: null }],
  ])('%s', (_name, seller, buyer, vatId, treatment) => {
    expect(taxTreatment({ country: seller }, { country: buyer, vat_id: vatId }, rates)).toEqual(treatment);
  });

  it('charges nothing on top under reverse charge: the gross is the net', () => {
    expect(taxDocument([11900n], { category: 'AE', rate: '0', note: REVERSE_CHARGE_NOTE }).totals).toEqual({ net: 11900n, tax: 0n, gross: 11900n });
  });
});
