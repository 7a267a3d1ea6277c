import { WORKSPACE_AGENT_ENV } from '@berth/protocol';
import type Dockerode from 'dockerode';
import { BASE_IMAGE, WORKSPACE_IMAGE } from '../../local-docker/src/images/names.js';

/**
 * Stand-in agent for when only the base image exists: answers GET /health on AGENT_SOCKET like the real
 * agent. Run with `node -e`; it removes a stale socket first (the agent dir outlives containers).
 */
export const STANDIN_AGENT = [
  `const fs=require('fs'),http=require('http');const p=process.env.${WORKSPACE_AGENT_ENV.socket};`,
  'try{fs.unlinkSync(p)}catch{}',
  "http.createServer((q,s)=>{const ok=q.url==='/health';s.writeHead(ok?200:404,{'content-type':'application/json'});",
  "s.end(JSON.stringify({ok}))}).listen(p);process.on('SIGTERM',()=>process.exit(0));",
].join('');

export interface TestImage {
  image: string;
  /** Entrypoint override for the stand-in agent; undefined = the image's own entrypoint (the real agent). */
  command?: string[];
  description: string;
}

const hasImage = async (docker: Dockerode, name: string) => {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
};

/**
 * The workspace image when it is built (always, under `npm test`); else the base image with the stand-in
 * agent; else null, and the caller skips. `BERTH_TEST_STANDIN=1` forces the stand-in, `BERTH_TEST_IMAGE`
 * names another image. Under CI a missing image is an error, never a skip.
 */
export async function pickTestImage(docker: Dockerode): Promise<TestImage | null> {
  const standin = process.env.BERTH_TEST_STANDIN === '1';
  // Debugging aid: a pinned copy of an image (the builder's tests replace the canonical tags).
  const override = process.env.BERTH_TEST_IMAGE;
  if (override) {
    return standin
      ? {
          image: override,
          command: ['node', '-e', STANDIN_AGENT],
          description: `${override} + stand-in agent`,
        }
      : { image: override, description: override };
  }
  if (!standin && (await hasImage(docker, WORKSPACE_IMAGE))) {
    return { image: WORKSPACE_IMAGE, description: WORKSPACE_IMAGE };
  }
  if (await hasImage(docker, BASE_IMAGE)) {
    return {
      image: BASE_IMAGE,
      command: ['node', '-e', STANDIN_AGENT],
      description: `${BASE_IMAGE} + stand-in agent`,
    };
  }
  if (process.env.CI)
    throw new Error(`neither ${WORKSPACE_IMAGE} nor ${BASE_IMAGE} exists: run \`npm run setup\``);
  return null;
}

export const NO_IMAGE_MESSAGE = `skipped: neither ${WORKSPACE_IMAGE} nor ${BASE_IMAGE} is built; run \`npm run setup\` first`;
