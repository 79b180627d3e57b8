/** A flag's rollout as a bar and a number; greyed while the flag is off. */
export function RolloutBar({ value, enabled }: { value: number; enabled: boolean }) {
  return (
    <span className="rollout">
      <span className="rollout-bar" aria-hidden="true">
        <span className={`rollout-fill ${enabled ? '' : 'rollout-off'}`} style={{ width: `${value}%` }} />
      </span>
      <span className="rollout-value">{value}%</span>
    </span>
  );
}
