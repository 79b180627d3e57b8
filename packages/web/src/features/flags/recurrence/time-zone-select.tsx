import type { SelectHTMLAttributes } from 'react';

/** Every IANA zone the browser knows, with UTC and the browser's own zone always among them. */
function timeZones(own: string): string[] {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set([own, 'UTC', ...known])].sort((a, b) => a.localeCompare(b));
}

let cached: { own: string; zones: string[] } | undefined;

/** A picker of IANA time zones (the server checks the name again; DST rules come with the zone, not an offset). */
export function TimeZoneSelect({
  value,
  browserZone,
  onChange,
  ...props
}: Omit<SelectHTMLAttributes<HTMLSelectElement>, 'value' | 'onChange'> & {
  value: string;
  browserZone: string;
  onChange(zone: string): void;
}) {
  if (cached?.own !== browserZone) cached = { own: browserZone, zones: timeZones(browserZone) };
  return (
    <select {...props} value={value} onChange={(event) => onChange(event.target.value)}>
      {cached.zones.map((zone) => (
        <option key={zone} value={zone}>
          {zone === browserZone ? `${zone} (this browser)` : zone}
        </option>
      ))}
    </select>
  );
}
