import type { FlagView } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { flagQueries } from '../../api/flags';
import { RolloutBar } from '../../components/rollout-bar';
import { Badge, ConfirmDialog, ErrorMessage, Field, Switch, WholeNumberInput } from '../../components/ui';
import { fieldError, isApiError } from '../../lib/errors';
import { formatLocal } from '../../lib/time';
import { useSession } from '../session/session';

/** The flag's state in the current environment: editable for admins (production asks first), facts for viewers. */
export function StateCard({ flag }: { flag: FlagView }) {
  const session = useSession();
  const { client, environment, canWrite } = session;
  const queryClient = useQueryClient();
  const detail = flagQueries.detail(session, flag.key);
  const [draft, setDraft] = useState<{ enabled: boolean; rollout: number; description: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const enabled = draft?.enabled ?? flag.enabled;
  const rollout = draft?.rollout ?? flag.rolloutPercentage;
  const description = draft?.description ?? flag.description;
  const changes = {
    ...(enabled !== flag.enabled ? { enabled } : {}),
    ...(rollout !== flag.rolloutPercentage ? { rolloutPercentage: rollout } : {}),
    ...(description !== flag.description ? { description } : {}),
  };
  const dirty = Object.keys(changes).length > 0;
  const save = useMutation({
    mutationFn: () => client.updateFlag(flag.key, changes, { environment, ifMatch: flag.version }),
    onSuccess: (updated) => {
      queryClient.setQueryData(detail.queryKey, updated);
      setDraft(null);
      setConfirming(false);
    },
    onError: (error) => {
      if (isApiError(error, 'PRECONDITION_FAILED')) {
        setDraft(null);
        setConfirming(false);
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: detail.queryKey }),
  });
  const edit = (patch: Partial<{ enabled: boolean; rollout: number; description: string }>) => {
    save.reset();
    setDraft({ enabled, rollout, description, ...patch });
  };
  const rolloutId = useId();

  if (!canWrite) {
    return (
      <section className="card" aria-labelledby="state-heading">
        <h2 id="state-heading">State in {environment}</h2>
        <dl className="facts">
          <dt>Enabled</dt>
          <dd>
            <Badge tone={flag.enabled ? 'success' : 'neutral'}>{flag.enabled ? 'On' : 'Off'}</Badge>
          </dd>
          <dt>Rollout</dt>
          <dd>
            <RolloutBar value={flag.rolloutPercentage} enabled={flag.enabled} />
          </dd>
          <dt>Version</dt>
          <dd>{flag.version}</dd>
          <dt>Last change</dt>
          <dd>{formatLocal(flag.updatedAt)}</dd>
        </dl>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="state-heading">
      <h2 id="state-heading">State in {environment}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!dirty) return;
          if (environment === 'production') setConfirming(true);
          else save.mutate();
        }}
      >
        <div className="field field-inline">
          <span className="label" id="enabled-label">
            Enabled
          </span>
          <Switch
            checked={enabled}
            label={`${flag.key} enabled in ${environment}`}
            onChange={(next) => edit({ enabled: next })}
          />
        </div>
        <div className="field">
          <label htmlFor={rolloutId}>Rollout percentage</label>
          <div className="rollout-editor">
            <input
              type="range"
              min={0}
              max={100}
              step={1}
              value={rollout}
              aria-label="Rollout percentage slider"
              onChange={(event) => edit({ rollout: Number(event.target.value) })}
            />
            <WholeNumberInput
              id={rolloutId}
              min={0}
              max={100}
              value={rollout}
              onChange={(event) =>
                edit({ rollout: Math.max(0, Math.min(100, Math.round(Number(event.target.value) || 0))) })
              }
            />
            <span aria-hidden="true">%</span>
          </div>
          <div className="hint">
            Share of users (by a stable hash of flag key and user id) who get the flag while it is on.
          </div>
        </div>
        <Field label="Description" error={fieldError(save.error, 'description')}>
          {(props) => (
            <input
              {...props}
              value={description}
              maxLength={1000}
              onChange={(event) => edit({ description: event.target.value })}
            />
          )}
        </Field>
        <p className="muted small">
          Version {flag.version} · last change {formatLocal(flag.updatedAt)}
        </p>
        <ErrorMessage error={save.error && !confirming ? save.error : null} title="Not saved" />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={!dirty || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="button" disabled={!dirty || save.isPending} onClick={() => setDraft(null)}>
            Reset
          </button>
        </div>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Change “${flag.key}” in production?`}
        confirmLabel="Apply to production"
        busy={save.isPending}
        error={save.error}
        onCancel={() => {
          setConfirming(false);
          save.reset();
        }}
        onConfirm={() => save.mutate()}
      >
        <ul>
          {changes.enabled !== undefined ? <li>Turn {changes.enabled ? 'on' : 'off'}</li> : null}
          {changes.rolloutPercentage !== undefined ? (
            <li>
              Rollout {flag.rolloutPercentage}% → {changes.rolloutPercentage}%
            </li>
          ) : null}
          {changes.description !== undefined ? <li>New description</li> : null}
        </ul>
      </ConfirmDialog>
    </section>
  );
}
