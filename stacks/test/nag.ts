import { Aspects, Stack } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { getStack, type App } from 'sst/constructs';
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
  return reportOf(app.synth(), stack);
}

/**
 * Runs cdk-nag's AwsSolutions pack on every stack `register` adds to one offline app (e.g. sst.config.ts's
 * `stacks`), and returns each stack's report by its id. One synthesis for all: CDK's ECS cluster aspect
 * adds its capacity-provider association again on every synthesis of an app, so a second one fails.
 */
export async function nagApp(register: (app: App) => unknown): Promise<Map<string, NagReport>> {
  const app = await testApp();
  await register(app);
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
  for (const stack of stacks) Aspects.of(stack).add(new AwsSolutionsChecks());
  const assembly = app.synth();
  return new Map(stacks.map((stack) => [stack.node.id, reportOf(assembly, stack)]));
}

/** A stack's findings and suppressions, read from the synthesized assembly. */
function reportOf(assembly: CloudAssembly, stack: Stack): NagReport {
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const describe = (level: string, pattern: RegExp) =>
    artifact.messages
      .filter(({ level: l, entry }) => l === level && pattern.test(String(entry.data)))
      .map(({ id, entry }) => `${id}: ${String(entry.data).trim()}`);
  return {
    errors: describe('error', /^AwsSolutions-/),
    validationFailures: describe('warning', /^CdkNagValidationFailure/),
    suppressions: suppressionsIn(stack.stackName, artifact.template as StackTemplate),
  };
}

interface StackTemplate {
  Metadata?: { cdk_nag?: NagRules };
  Resources: Record<string, { Metadata?: { cdk_nag?: NagRules; 'aws:cdk:path'?: string } }>;
}

/** The suppressions as deployed: cdk-nag writes them into the Metadata of the template and its resources. */
function suppressionsIn(stackName: string, template: StackTemplate): NagSuppression[] {
  const list = (where: string, rules: NagRules | undefined) =>
    (rules?.rules_to_suppress ?? []).map(({ id, reason, is_reason_encoded }) => ({
      path: where,
      id,
      reason: is_reason_encoded ? Buffer.from(reason, 'base64').toString() : reason,
    }));
  return [
    ...list(stackName, template.Metadata?.cdk_nag),
    ...Object.entries(template.Resources).flatMap(([logicalId, resource]) =>
      list(resource.Metadata?.['aws:cdk:path'] ?? logicalId, resource.Metadata?.cdk_nag),
    ),
  ];
}

interface NagRules {
  rules_to_suppress?: { id: string; reason: string; is_reason_encoded?: boolean }[];
}
