import {
  BOOLEAN_VARIANTS,
  type EnvironmentTargeting,
  type FlagTargeting,
  type RulesetFlag,
  type Serve,
  type Variant,
} from '@flagline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { flagQueries } from '../../api/flags';
import { segmentQueries, targetingQueries } from '../../api/targeting';
import { ConfirmDialog, ErrorMessage } from '../../components/ui';
import { isApiError } from '../../lib/errors';
import { useSession } from '../session/session';
import { RulesEditor } from './rules-editor';
import { ServeEditor } from './serve-editor';
import { TryContextCard } from './try-context-card';
import { VariantsEditor } from './variants-editor';

/** The variants a flag serves from: its declared ones, or a boolean flag's implicit on/off. */
const servedVariants = (view: FlagTargeting): readonly Variant[] =>
  view.variants.length > 0 ? view.variants : BOOLEAN_VARIANTS;

/** The flag as the SDKs receive it, built from the edited state, for the preview. */
function previewFlag(view: FlagTargeting, targeting: EnvironmentTargeting, variants: readonly Variant[]): RulesetFlag {
  return {
    key: view.flagKey,
    description: '',
    enabled: targeting.enabled,
    rolloutPercentage: targeting.rolloutPercentage,
    overrides: { include: [], exclude: [] },
    type: view.type,
    variants: [...variants],
    offVariant: targeting.offVariant,
    rules: targeting.rules,
    fallthrough: targeting.fallthrough,
  };
}

/** Which parts of the targeting the draft changes: what the PATCH carries and the dialog lists. */
function changedParts(before: EnvironmentTargeting, after: EnvironmentTargeting): Partial<EnvironmentTargeting> {
  const patch: Partial<EnvironmentTargeting> = {};
  for (const field of ['enabled', 'rolloutPercentage', 'offVariant', 'rules', 'fallthrough'] as const) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) Object.assign(patch, { [field]: after[field] });
  }
  return patch;
}

/** Variants (flag-wide) and this environment's rules, fallthrough and off variant, with a live preview. */
export function TargetingCard({ flagKey }: { flagKey: string }) {
  const session = useSession();
  const { client, environment, canWrite } = session;
  const queryClient = useQueryClient();
  const query = targetingQueries.forFlag(session, flagKey);
  const targeting = useQuery(query);
  const segments = useQuery(segmentQueries.list(session));
  const [draft, setDraft] = useState<EnvironmentTargeting | null>(null);
  const [variantsDraft, setVariantsDraft] = useState<Variant[] | null>(null);
  const [confirming, setConfirming] = useState(false);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: query.queryKey }),
      queryClient.invalidateQueries({ queryKey: flagQueries.detail(session, flagKey).queryKey }),
    ]);
  const save = useMutation({
    mutationFn: (input: { view: FlagTargeting; patch: Partial<EnvironmentTargeting> }) =>
      client.updateTargeting(flagKey, input.patch, { environment, ifMatch: input.view.version }),
    onSuccess: (updated) => {
      queryClient.setQueryData(query.queryKey, updated);
      setDraft(null);
      setConfirming(false);
    },
    onError: (error) => {
      if (isApiError(error, 'PRECONDITION_FAILED')) setConfirming(false);
    },
    onSettled: refresh,
  });
  const saveVariants = useMutation({
    mutationFn: (variants: Variant[]) => client.setVariants(flagKey, variants),
    onSuccess: () => setVariantsDraft(null),
    onSettled: refresh,
  });

  if (targeting.isPending) return <section className="card">Loading the targeting…</section>;
  if (targeting.isError) {
    return (
      <section className="card">
        <ErrorMessage error={targeting.error} title="Could not load the targeting" />
      </section>
    );
  }
  const view = targeting.data;
  const current = draft ?? view.targeting;
  const variants = variantsDraft ?? servedVariants(view);
  const patch = changedParts(view.targeting, current);
  const dirty = Object.keys(patch).length > 0;
  const segmentKeys = (segments.data ?? []).map((segment) => segment.key);
  const edit = (next: Partial<EnvironmentTargeting>) => {
    save.reset();
    setDraft({ ...current, ...next });
  };
  const readOnly = !canWrite;
  const defaultServe: Serve = { variant: variants[0]?.key ?? 'on' };

  return (
    <>
      <section className="card" aria-labelledby="variants-heading" id="variants">
        <h2 id="variants-heading">
          Variants <span className="muted small">({view.type})</span>
        </h2>
        {view.type === 'boolean' && view.variants.length === 0 ? (
          <p className="muted small">
            A boolean flag serves <code>on</code> (true) and <code>off</code> (false) unless you name variants.
          </p>
        ) : null}
        <VariantsEditor type={view.type} variants={variants} readOnly={readOnly} onChange={setVariantsDraft} />
        {variantsDraft ? (
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={saveVariants.isPending}
              onClick={() => saveVariants.mutate(variantsDraft)}
            >
              {saveVariants.isPending ? 'Saving…' : 'Save variants'}
            </button>
            <button type="button" className="button" onClick={() => setVariantsDraft(null)}>
              Reset
            </button>
          </div>
        ) : null}
        <ErrorMessage error={saveVariants.error} title="Variants not saved" />
      </section>

      <section className="card" aria-labelledby="targeting-heading" id="targeting">
        <h2 id="targeting-heading">Targeting in {environment}</h2>
        <p className="muted small">
          Rules are checked in order; the first that matches decides. Overrides for single users come before the rules,
          and when the flag is off every context gets the off variant.
        </p>
        <RulesEditor
          rules={current.rules}
          variants={variants}
          segmentKeys={segmentKeys}
          readOnly={readOnly}
          onChange={(rules) => edit({ rules })}
        />
        <h3>When no rule matches</h3>
        {current.fallthrough === null ? (
          <div className="form-row">
            <p className="muted small">
              {view.type === 'boolean'
                ? `The rollout percentage decides (${current.rolloutPercentage} % get on).`
                : 'The off variant is served.'}
            </p>
            {readOnly ? null : (
              <button type="button" className="button button-small" onClick={() => edit({ fallthrough: defaultServe })}>
                Serve a variant or a split instead
              </button>
            )}
          </div>
        ) : (
          <>
            <ServeEditor
              label="Fallthrough"
              serve={current.fallthrough}
              variants={variants}
              readOnly={readOnly}
              onChange={(fallthrough) => edit({ fallthrough })}
            />
            {readOnly || view.type !== 'boolean' ? null : (
              <button type="button" className="button button-small" onClick={() => edit({ fallthrough: null })}>
                Use the rollout percentage instead
              </button>
            )}
          </>
        )}
        <h3>When the flag is off</h3>
        <select
          aria-label="Off variant"
          value={current.offVariant ?? ''}
          disabled={readOnly}
          onChange={(event) => edit({ offVariant: event.target.value || null })}
        >
          <option value="">{view.type === 'boolean' ? 'off (default)' : 'first variant (default)'}</option>
          {variants.map((variant) => (
            <option key={variant.key} value={variant.key}>
              {variant.key}
            </option>
          ))}
        </select>
        <ErrorMessage error={save.error && !confirming ? save.error : null} title="Not saved" />
        {readOnly ? null : (
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={!dirty || save.isPending}
              onClick={() => (environment === 'production' ? setConfirming(true) : save.mutate({ view, patch }))}
            >
              {save.isPending ? 'Saving…' : 'Save targeting'}
            </button>
            <button type="button" className="button" disabled={!dirty} onClick={() => setDraft(null)}>
              Reset
            </button>
          </div>
        )}
        <p className="muted small">Version {view.version}</p>
        <ConfirmDialog
          open={confirming}
          title={`Change the targeting of “${flagKey}” in production?`}
          confirmLabel="Apply to production"
          busy={save.isPending}
          error={save.error}
          onCancel={() => {
            setConfirming(false);
            save.reset();
          }}
          onConfirm={() => save.mutate({ view, patch })}
        >
          <ul>
            {Object.keys(patch).map((field) => (
              <li key={field}>{field}</li>
            ))}
          </ul>
        </ConfirmDialog>
      </section>
      <TryContextCard flag={previewFlag(view, current, variants)} segments={segments.data ?? []} />
    </>
  );
}
