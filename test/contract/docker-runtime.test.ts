import { describe, it } from 'vitest';
import Dockerode from 'dockerode';
import { describeContainerRuntimeContract } from './container-runtime.contract.js';
import { makeDockerHarness } from './docker-harness.js';
import { NO_IMAGE_MESSAGE, pickTestImage } from './test-image.js';

const image = await pickTestImage(new Dockerode());

if (!image) {
  describe('DockerRuntime contract', () => {
    it.skip(NO_IMAGE_MESSAGE, () => undefined);
  });
} else {
  describeContainerRuntimeContract(`DockerRuntime (${image.description})`, async () => {
    const h = await makeDockerHarness(image);
    return { runtime: h.runtime, image: image.image, cleanup: h.cleanup, createForeignTask: h.createForeign };
  });
}
