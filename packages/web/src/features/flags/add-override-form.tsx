import type { OverrideType } from '@flagline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { overrideQueries } from '../../api/overrides';
import { ErrorMessage, Field } from '../../components/ui';
import { fieldError } from '../../lib/errors';
import { useSession } from '../session/session';

/** Includes or excludes one user (setting it again replaces the earlier override). */
export function AddOverrideForm({ flagKey }: { flagKey: string }) {
  const session = useSession();
  const { client, environment } = session;
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState('');
  const [type, setType] = useState<OverrideType>('include');
  const [reason, setReason] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () =>
      client.setOverride(
        flagKey,
        { userId: userId.trim(), overrideType: type, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        environment,
      ),
    onSuccess: (override) => {
      setAdded(`${override.overrideType === 'include' ? 'Included' : 'Excluded'} ${override.userId}.`);
      setUserId('');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: overrideQueries.forFlag(session, flagKey) });
    },
  });
  const typeName = useId();
  return (
    <form
      className="subcard"
      aria-labelledby="add-override-heading"
      onSubmit={(event) => {
        event.preventDefault();
        setAdded(null);
        add.mutate();
      }}
    >
      <h3 id="add-override-heading">Add an override</h3>
      <div className="form-row">
        <Field label="User id" error={fieldError(add.error, 'userId')}>
          {(props) => (
            <input
              {...props}
              value={userId}
              onChange={(event) => setUserId(event.target.value)}
              required
              maxLength={255}
              autoCapitalize="off"
              spellCheck={false}
            />
          )}
        </Field>
        <fieldset className="field radio-group">
          <legend>Type</legend>
          <label>
            <input
              type="radio"
              name={typeName}
              value="include"
              checked={type === 'include'}
              onChange={() => setType('include')}
            />{' '}
            Include
          </label>
          <label>
            <input
              type="radio"
              name={typeName}
              value="exclude"
              checked={type === 'exclude'}
              onChange={() => setType('exclude')}
            />{' '}
            Exclude
          </label>
        </fieldset>
        <Field label="Reason" error={fieldError(add.error, 'reason')} className="grow">
          {(props) => (
            <input
              {...props}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              maxLength={500}
              placeholder="e.g. beta tester, support ticket #123"
            />
          )}
        </Field>
        <div className="field field-submit">
          <button type="submit" className="button button-primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add override'}
          </button>
        </div>
      </div>
      <ErrorMessage error={add.error} title="The override was not set" />
      {added ? (
        <p className="notice notice-success" role="status">
          {added}
        </p>
      ) : null}
    </form>
  );
}
