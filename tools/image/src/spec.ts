/**
 * What goes into each image, as data: the apps, their users, ports and labels, the runtime files,
 * the `/etc` files of a FROM-scratch root, and the cache key. Pure (no I/O), so the layout of the
 * images is unit-tested and the builder (`build.ts`) only copies files and runs umoci.
 */
import { createHash } from 'node:crypto';

/** Bump when the image layout changes without any input changing (it is part of the cache key). */
export const IMAGE_LAYOUT_VERSION = 1;

/** Where the Node binary lives in the images. */
export const NODE_PATH = '/usr/local/bin/node';
/** Where the app's bundle (and its Node-API addons) live in the images. */
export const APP_DIR = '/app';

/** An image we build. */
export interface AppImage {
  /** `controller` | `speaker`: the nx project and `dist/apps/<app>`. */
  readonly app: AppName;
  /** `uid:gid` the process runs as. */
  readonly user: string;
  /** Files of `dist/apps/<app>` that must be there (the bundle, the addons). */
  readonly files: readonly string[];
  /** `port/proto` the image documents (`EXPOSE`). */
  readonly ports: readonly string[];
  /** `org.opencontainers.image.title`. */
  readonly title: string;
  /** `org.opencontainers.image.description`. */
  readonly description: string;
}

/** The apps with images. */
export const APP_NAMES = ['controller', 'speaker'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The distroless convention for "nonroot" (also the controller's Containerfile user). */
export const NONROOT = { uid: 65532, gid: 65532, name: 'nonroot' } as const;

/** The images, by app. */
export const APP_IMAGES: Readonly<Record<AppName, AppImage>> = {
  controller: {
    app: 'controller',
    user: `${NONROOT.uid}:${NONROOT.gid}`,
    files: ['main.mjs'],
    ports: ['7472/tcp', '9120/tcp'],
    title: 'metallb-ts controller',
    description: 'The metallb-ts controller: assigns IPs from IPAddressPools to LoadBalancer Services. Runs as 65532:65532; needs no capability.',
  },
  speaker: {
    app: 'speaker',
    // MetalLB's speaker: root in the container, every capability dropped but NET_RAW (the pod's
    // securityContext does that; an image cannot). AF_PACKET sockets for ARP/NDP need it.
    user: '0:0',
    files: ['main.mjs', 'arp_responder.node', 'tcp_md5.node'],
    ports: ['7472/tcp', '9120/tcp', '7946/tcp', '7946/udp'],
    title: 'metallb-ts speaker',
    description:
      'The metallb-ts speaker: announces LoadBalancer IPs through Layer 2 (ARP/NDP) and BGP. Runs as root with only CAP_NET_RAW (securityContext: capabilities drop ALL, add NET_RAW), host network.',
  },
};

/** The facts about one build that end up in labels. */
export interface BuildMeta {
  /** The app's package version (`apps/<app>/package.json`), also the image tag. */
  version: string;
  /** `git rev-parse HEAD`, or undefined outside a checkout. */
  revision: string | undefined;
  /** RFC 3339 build time. */
  created: string;
  /** `process.versions.node` of the binary put in the image. */
  nodeVersion: string;
}

/** The OCI annotation keys we set as labels (image-spec `annotations.md`). */
export function imageLabels(img: AppImage, meta: BuildMeta): Record<string, string> {
  return {
    'org.opencontainers.image.title': img.title,
    'org.opencontainers.image.description': img.description,
    'org.opencontainers.image.version': meta.version,
    ...(meta.revision ? { 'org.opencontainers.image.revision': meta.revision } : {}),
    'org.opencontainers.image.created': meta.created,
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.vendor': 'metallb-ts',
    'io.metallb-ts.node.version': meta.nodeVersion,
  };
}

/** The image reference a loader names it by: `metallb-ts/<app>:<version>`. */
export function imageRef(app: AppName, version: string): string {
  return `metallb-ts/${app}:${version}`;
}

/** Arguments of `umoci config` for `img` (everything but `--image`). */
export function umociConfigArgs(img: AppImage, meta: BuildMeta): string[] {
  const args = [
    `--config.user=${img.user}`,
    `--config.entrypoint=${NODE_PATH}`,
    `--config.entrypoint=${APP_DIR}/main.mjs`,
    `--config.workingdir=${APP_DIR}`,
    '--config.env=PATH=/usr/local/bin:/usr/bin:/bin',
    '--config.stopsignal=SIGTERM',
    '--os=linux',
    '--architecture=amd64',
    `--created=${meta.created}`,
    '--author=metallb-ts',
    '--history.created_by=tools/image',
  ];
  for (const p of img.ports) args.push(`--config.exposedports=${p}`);
  for (const [k, v] of Object.entries(imageLabels(img, meta))) args.push(`--config.label=${k}=${v}`);
  return args;
}

/** `/etc/passwd` of the images: root and nonroot (65532), no shells (there are none). */
export function passwdFile(): string {
  return [`root:x:0:0:root:/root:/sbin/nologin`, `${NONROOT.name}:x:${NONROOT.uid}:${NONROOT.gid}:${NONROOT.name}:/home/${NONROOT.name}:/sbin/nologin`, ''].join('\n');
}

/** `/etc/group` of the images. */
export function groupFile(): string {
  return [`root:x:0:`, `${NONROOT.name}:x:${NONROOT.gid}:`, ''].join('\n');
}

/** `/etc/nsswitch.conf`: files then DNS (glibc's compiled-in default puts DNS first). */
export function nsswitchFile(): string {
  return 'passwd: files\ngroup: files\nhosts: files dns\n';
}

/** One shared object `ldd` resolved. */
export interface LddEntry {
  /** The name the binary asks for (`libc.so.6`). */
  name: string;
  /** Where the loader found it (absolute), undefined for the vDSO. */
  path: string | undefined;
}

/** A line of `ldd` output that says a library is missing. */
export class MissingLibraryError extends Error {
  override readonly name = 'MissingLibraryError';
  readonly binary: string;
  readonly library: string;
  constructor(binary: string, library: string) {
    super(`${binary} needs ${library}, which the loader cannot find on this machine; install the package that provides it`);
    this.binary = binary;
    this.library = library;
  }
}

/**
 * Reads `ldd` output: `name => /path (0x…)`, `/abs/ld-linux… (0x…)`, `linux-vdso.so.1 (0x…)`.
 * @throws {MissingLibraryError} for `name => not found`.
 */
export function parseLdd(binary: string, text: string): LddEntry[] {
  const out: LddEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line === 'statically linked') continue;
    const arrow = /^(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (arrow) {
      if (arrow[2] === 'not found') throw new MissingLibraryError(binary, arrow[1]!);
      out.push({ name: arrow[1]!, path: arrow[2]! });
      continue;
    }
    const bare = /^(\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (bare) out.push({ name: bare[1]!.split('/').at(-1)!, path: bare[1]!.startsWith('/') ? bare[1]! : undefined });
  }
  return out;
}

/** The libraries to copy for a set of `ldd` results: every resolved path once, the vDSO left out. */
export function librariesToCopy(results: readonly LddEntry[][]): string[] {
  return [...new Set(results.flat().flatMap((e) => (e.path ? [e.path] : [])))].sort();
}

/** One input of the cache key. */
export interface KeyInput {
  /** Where it goes (image path) or what it is (`config`). */
  name: string;
  /** Its content hash (hex) or its text. */
  value: string;
}

/**
 * The cache key of an image: SHA-256 over the layout version and every input, sorted by name,
 * so the same bundle, addons, runtime files and config give the same directory and anything else
 * a new one. Build-time facts (`created`, `revision`) are left out on purpose.
 */
export function cacheKey(app: AppName, inputs: readonly KeyInput[]): string {
  const h = createHash('sha256');
  h.update(`metallb-ts-image/${IMAGE_LAYOUT_VERSION}\n${app}\n`);
  for (const i of [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) h.update(`${i.name}\0${i.value}\n`);
  return h.digest('hex').slice(0, 32);
}
