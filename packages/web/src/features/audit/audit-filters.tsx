import {
  ADMIN_TOKEN_ACTOR_ID,
  auditEventTypes as AUDIT_EVENT_TYPES,
  type AuditEventType,
  type AuditFilter,
  schedulerActor,
} from '@flagline/core';
import { Field } from '../../components/ui';
import { useTokenNames } from '../../lib/actors';
import { fromDateTimeInput, localTimeZone, utcOffset } from '../../lib/time';
import { useSession } from '../session/session';

/** The audit filters as typed: free text and datetime-local values, read into an API filter by toFilter. */
export interface FilterForm {
  type: AuditEventType | '';
  flagKey: string;
  actorId: string;
  environment: string;
  from: string;
  to: string;
}

export const EMPTY_FILTERS: FilterForm = { type: '', flagKey: '', actorId: '', environment: '', from: '', to: '' };

export function toFilter(form: FilterForm): AuditFilter {
  const from = form.from ? fromDateTimeInput(form.from, 'local') : undefined;
  const to = form.to ? fromDateTimeInput(form.to, 'local') : undefined;
  return {
    ...(form.type ? { type: form.type } : {}),
    ...(form.flagKey.trim() ? { flagKey: form.flagKey.trim() } : {}),
    ...(form.actorId.trim() ? { actorId: form.actorId.trim() } : {}),
    ...(form.environment ? { environment: form.environment } : {}),
    ...(from ? { from: from.toISOString() } : {}),
    ...(to ? { to: to.toISOString() } : {}),
  };
}

/** The filter form; every change applies at once (debounced by the page). */
export function AuditFilterFields({
  form,
  onChange,
  onClear,
  clearable,
}: {
  form: FilterForm;
  onChange(patch: Partial<FilterForm>): void;
  onClear(): void;
  /** Whether there is anything to clear. */
  clearable: boolean;
}) {
  const { environments } = useSession();
  const names = useTokenNames();
  const zone = `Your time: ${localTimeZone()} (UTC${utcOffset(new Date())})`;
  return (
    <form className="filters" onSubmit={(event) => event.preventDefault()}>
      <Field label="Event type">
        {(props) => (
          <select
            {...props}
            value={form.type}
            onChange={(event) => onChange({ type: event.target.value as FilterForm['type'] })}
          >
            <option value="">Any type</option>
            {AUDIT_EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Flag key">
        {(props) => (
          <input
            {...props}
            value={form.flagKey}
            onChange={(event) => onChange({ flagKey: event.target.value })}
            autoCapitalize="off"
            spellCheck={false}
          />
        )}
      </Field>
      <Field label="Actor id" hint="A token id, a user’s subject, or “scheduler” for applied schedules.">
        {(props) => (
          <>
            <input
              {...props}
              list="audit-actors"
              value={form.actorId}
              onChange={(event) => onChange({ actorId: event.target.value })}
              autoCapitalize="off"
              spellCheck={false}
            />
            <datalist id="audit-actors">
              <option value={schedulerActor.id}>system ({schedulerActor.id})</option>
              <option value={ADMIN_TOKEN_ACTOR_ID}>{ADMIN_TOKEN_ACTOR_ID}</option>
              {[...names.entries()].map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </datalist>
          </>
        )}
      </Field>
      <Field label="Environment">
        {(props) => (
          <select
            {...props}
            value={form.environment}
            onChange={(event) => onChange({ environment: event.target.value })}
          >
            <option value="">Any environment</option>
            {environments.map((environment) => (
              <option key={environment.key} value={environment.key}>
                {environment.key}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="From" hint={zone}>
        {(props) => (
          <input
            {...props}
            type="datetime-local"
            step={1}
            value={form.from}
            onChange={(event) => onChange({ from: event.target.value })}
          />
        )}
      </Field>
      <Field label="Until" hint={zone}>
        {(props) => (
          <input
            {...props}
            type="datetime-local"
            step={1}
            value={form.to}
            onChange={(event) => onChange({ to: event.target.value })}
          />
        )}
      </Field>
      <div className="field field-submit">
        <button type="button" className="button" disabled={!clearable} onClick={onClear}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
