import type { Stack } from 'aws-cdk-lib';

/**
 * Geographies of Bedrock's cross-region inference profiles: an id `<geo>.<provider>.<model>` (e.g.
 * `us.anthropic.claude-sonnet-4-20250514-v1:0`) names a profile, `<provider>.<model>` a foundation model.
 */
export const INFERENCE_PROFILE_GEOGRAPHIES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'];

/** The foundation model an id stands for, and the inference profile when it names one. */
export function parseBedrockModelId(id: string): { foundationModel: string; profile: boolean } {
  const [first, ...rest] = id.split('.');
  const profile = INFERENCE_PROFILE_GEOGRAPHIES.includes(first!) && rest.length >= 2;
  return { foundationModel: profile ? rest.join('.') : id, profile };
}

/**
 * The resources `bedrock:InvokeModel*` must name so that exactly these models can be invoked in `region`.
 * A foundation model id: that model in `region`. An inference-profile id: the profile in `region` and its
 * foundation model in *every* region, because the profile routes each call to one of its regions and each is
 * authorized on the model there (Bedrock's "Prerequisites for inference profiles" writes the model ARN with
 * region `*` so). The model stays exact; only its region is open.
 */
export function bedrockModelArns(stack: Stack, region: string, modelIds: readonly string[]): string[] {
  const arns = modelIds.flatMap((id) => {
    const { foundationModel, profile } = parseBedrockModelId(id);
    const model = (inRegion: string) =>
      stack.formatArn({
        service: 'bedrock',
        region: inRegion,
        account: '',
        resource: 'foundation-model',
        resourceName: foundationModel,
      });
    if (!profile) return [model(region)];
    return [
      stack.formatArn({ service: 'bedrock', region, resource: 'inference-profile', resourceName: id }),
      model('*'),
    ];
  });
  return [...new Set(arns)];
}
