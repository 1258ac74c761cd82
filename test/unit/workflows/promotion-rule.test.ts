import { accuracyStandardError, decidePromotion } from '../../../src/workflows/promotion-rule';
import { scores } from '../../support/fake-activities';

const policy = { minGain: 0.002, testTolerance: 0.005 };
const champion = scores(0.95, 0.95);

describe('decidePromotion', () => {
  it('promotes a validation gain of at least minGain with test accuracy within the tolerance', () => {
    const v = decidePromotion(champion, scores(0.953, 0.946), policy);
    expect(v.promote).toBe(true);
    expect(v.validationGain).toBeCloseTo(0.003);
    expect(v.testDrop).toBeCloseTo(0.004);
  });

  it('promotes a gain of exactly minGain (float rounding must not flip the tie)', () => {
    expect(decidePromotion(scores(0.1, 0.9), scores(0.102, 0.9), policy).promote).toBe(true);
  });

  it('rejects a gain below minGain, however good the test accuracy', () => {
    const v = decidePromotion(champion, scores(0.951, 0.99), policy);
    expect(v.promote).toBe(false);
    expect(v.reason).toMatch(
      /^validation accuracy gain 0.10 pt is below the required 0.20 pt \(validation standard error/,
    );
  });

  it('rejects a test drop beyond the tolerance, however large the validation gain', () => {
    const v = decidePromotion(champion, scores(0.99, 0.944), policy);
    expect(v.promote).toBe(false);
    expect(v.reason).toMatch(/^test accuracy drops by 0\.60 pt/);
  });

  it('rejects NaN scores rather than promoting on them', () => {
    expect(decidePromotion(champion, scores(NaN, 0.95), policy).promote).toBe(false);
  });
});

describe('accuracyStandardError', () => {
  it('is sqrt(p(1-p)/n): 0.15 pt at 98.9 % on 5 000 validation images', () => {
    expect(accuracyStandardError(0.989, 5000)).toBeCloseTo(0.001475, 5);
    expect(accuracyStandardError(0.5, 100)).toBeCloseTo(0.05, 10);
    expect(accuracyStandardError(0.9, 0)).toBeNaN();
  });

  it('is named in the reason, so a rejection below the noise says so', () => {
    const champ = {
      validation: { accuracy: 0.989, loss: 0, count: 5000 },
      test: { accuracy: 0.99, loss: 0, count: 10000 },
    };
    const v = decidePromotion(
      champ,
      { ...champ, validation: { ...champ.validation, accuracy: 0.9894 } },
      policy,
    );
    expect(v.promote).toBe(false);
    expect(v.reason).toMatch(/validation standard error 0\.15 pt on 5000 images/);
  });
});
