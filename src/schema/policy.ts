import type { Policies } from '../topic/namespace-policies.js';
import { isStrategy, type Strategy } from './compatibility.js';

/** How a namespace lets schemas change. */
export interface SchemaPolicy {
  readonly strategy: Strategy;
  /** isAllowAutoUpdateSchema: producers may add versions (else only existing schemas are accepted). */
  readonly autoUpdate: boolean;
  /** schemaValidationEnforced: producers without a schema are refused on topics that have one. */
  readonly validationEnforced: boolean;
}

/** Broker defaults of standalone.conf: schemaCompatibilityStrategy=FULL, isAllowAutoUpdateSchemaEnabled=true, isSchemaValidationEnforced=false. */
export const BROKER_SCHEMA_POLICY: SchemaPolicy = { strategy: 'FULL', autoUpdate: true, validationEnforced: false };

/** SchemaAutoUpdateCompatibilityStrategy → SchemaCompatibilityStrategy (SchemaCompatibilityStrategy.fromAutoUpdatePolicy). */
const FROM_AUTO_UPDATE: Readonly<Record<string, Strategy>> = {
  AutoUpdateDisabled: 'ALWAYS_INCOMPATIBLE', Backward: 'BACKWARD', Forward: 'FORWARD', Full: 'FULL',
  AlwaysCompatible: 'ALWAYS_COMPATIBLE', BackwardTransitive: 'BACKWARD_TRANSITIVE',
  ForwardTransitive: 'FORWARD_TRANSITIVE', FullTransitive: 'FULL_TRANSITIVE',
};

/**
 * The namespace's settings over the broker's (AbstractTopic.updateSchemaCompatibilityStrategyNamespaceValue):
 * an UNDEFINED strategy falls back to the deprecated auto-update policy, then to the broker's.
 */
export function schemaPolicyOf(policies: Policies | undefined): SchemaPolicy {
  const declared = policies?.schema_compatibility_strategy;
  let strategy: Strategy = BROKER_SCHEMA_POLICY.strategy;
  if (isStrategy(declared) && declared !== 'UNDEFINED') strategy = declared;
  else if (typeof policies?.schema_auto_update_compatibility_strategy === 'string') {
    strategy = FROM_AUTO_UPDATE[policies.schema_auto_update_compatibility_strategy] ?? strategy;
  }
  const autoUpdate = policies?.is_allow_auto_update_schema;
  const enforced = policies?.schema_validation_enforced;
  return {
    strategy,
    autoUpdate: typeof autoUpdate === 'boolean' ? autoUpdate : BROKER_SCHEMA_POLICY.autoUpdate,
    validationEnforced: typeof enforced === 'boolean' ? enforced : BROKER_SCHEMA_POLICY.validationEnforced,
  };
}
