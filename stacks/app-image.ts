import { IgnoreMode } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { useProject } from 'sst/project.js';
import type { AppImageSpec } from '../local-docker/src/images/app-images.js';
import { berthSettings } from './settings.js';

/**
 * One of Berth's images (local-docker's app-image specs) as an arm64 container-image asset, built and pushed
 * at deploy. The build context is the repository root, cut down to what the Dockerfile copies (as the local
 * builder does); the same spec in two stacks is one asset.
 */
export function appImage(spec: AppImageSpec): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(useProject().paths.root, {
    file: spec.dockerfile,
    platform: Platform.LINUX_ARM64,
    buildArgs: { BASE_IMAGE: berthSettings().imageBase },
    ignoreMode: IgnoreMode.DOCKER,
    exclude: ['*', ...spec.context.map((path) => `!${path}`)],
  });
}
