import { Aspects, type Stack } from 'aws-cdk-lib';
import type { SynthesisMessage } from 'aws-cdk-lib/cx-api';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { getStack } from 'sst/constructs';
import { testApp, type StackFn } from './synth.js';

/** One suppression found in a stack: where, which rule, and the reason given. */
export interface NagSuppression {
  path: string;
  id: string;
  reason: string;
}

/** What cdk-nag found in one stack. */
export interface NagReport {
  /** Unsuppressed AwsSolutions errors, as `<construct path>: <rule>: <summary>`. */
  errors: string[];
  /** Rules cdk-nag could not evaluate (e.g. a token it cannot read): a finding it may have missed. */
  validationFailures: string[];
  /** Every NagSuppressions entry in the stack, with its reason. */
  suppressions: NagSuppression[];
}

/**
 * Runs cdk-nag's AwsSolutions pack on `target` (default: the last stack), synthesized offline in one app with
 * the stacks it uses (`[Data, Network]`). A finding may only be silenced with NagSuppressions, which carries a
 * reason; the report lists those too, so a test can show them.
 */
export async function nag(
  stacks: readonly StackFn[],
  target: StackFn | undefined = stacks.at(-1),
): Promise<NagReport> {
  if (!target) throw new Error('nag: no stack to check');
  const app = await testApp();
  for (const stack of stacks) app.stack(stack as never);
  const stack = getStack(target as never) as Stack;
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const annotations = Annotations.fromStack(stack);
  const describe = (messages: SynthesisMessage[]) =>
    messages.map(({ id, entry }) => `${id}: ${String(entry.data).trim()}`);
  return {
    errors: describe(annotations.findError('*', Match.stringLikeRegexp('^AwsSolutions-'))),
    validationFailures: describe(
      annotations.findWarning('*', Match.stringLikeRegexp('^CdkNagValidationFailure')),
    ),
    suppressions: suppressionsIn(stack),
  };
}

/** The suppressions as deployed: cdk-nag writes them into the Metadata of the template and its resources. */
function suppressionsIn(stack: Stack): NagSuppression[] {
  const template = Template.fromStack(stack).toJSON() as {
    Metadata?: { cdk_nag?: NagRules };
    Resources: Record<string, { Metadata?: { cdk_nag?: NagRules; 'aws:cdk:path'?: string } }>;
  };
  const list = (where: string, rules: NagRules | undefined) =>
    (rules?.rules_to_suppress ?? []).map(({ id, reason, is_reason_encoded }) => ({
      path: where,
      id,
      reason: is_reason_encoded ? Buffer.from(reason, 'base64').toString() : reason,
    }));
  return [
    ...list(stack.stackName, template.Metadata?.cdk_nag),
    ...Object.entries(template.Resources).flatMap(([logicalId, resource]) =>
      list(resource.Metadata?.['aws:cdk:path'] ?? logicalId, resource.Metadata?.cdk_nag),
    ),
  ];
}

interface NagRules {
  rules_to_suppress?: { id: string; reason: string; is_reason_encoded?: boolean }[];
}
