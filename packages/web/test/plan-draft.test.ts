import { describe, expect, it } from 'vitest';
import { drawableSteps, nextStep, planBody } from '../src/features/flags/timeline/plan-draft';

const NOW = new Date(2031, 6, 1, 9, 0).getTime();

describe('plan draft', () => {
  it('adds the first step an hour ahead and each next one a day later, 25 points further, up to 100', () => {
    const first = nextStep([], NOW);
    expect(first).toMatchObject({ when: '2031-07-01T10:00:00', enabled: 'on', rollout: '25' });
    const second = nextStep([first], NOW);
    expect(second).toMatchObject({ when: '2031-07-02T10:00:00', rollout: '50' });
    expect(nextStep([{ ...second, rollout: '90' }], NOW).rollout).toBe('100');
    expect(second.id).not.toBe(first.id);
  });

  it('sends the steps as instants with what they set; an incomplete time goes as typed and is not drawn', () => {
    const steps = [
      { id: 1, when: '2031-07-01T10:00', enabled: 'keep' as const, rollout: '25' },
      { id: 2, when: '2031-07-', enabled: 'off' as const, rollout: '' },
    ];
    expect(planBody(' ramp ', steps)).toEqual({
      name: 'ramp',
      steps: [
        { scheduledAt: new Date(2031, 6, 1, 10, 0).toISOString(), updates: { rolloutPercentage: 25 } },
        { scheduledAt: '2031-07-', updates: { enabled: false } },
      ],
    });
    expect(planBody('', steps).name).toBeUndefined();
    expect(drawableSteps(steps)).toHaveLength(1);
  });
});
