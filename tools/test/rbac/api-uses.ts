/**
 * Which Kubernetes API calls each app makes — derived from the sources, not written down by hand.
 *
 * A small abstract interpreter over the TypeScript program of each app (`apps/<app>/src/main.ts`
 * and everything it imports), driven by the type checker:
 *
 * - **Sinks** are calls of the `ApiClient` port (`list`, `watch`, `get`, `create`, `update`,
 *   `patch`, `delete`) and of `KubeClient.request`, resolved by the checker, so a call through
 *   any alias, helper or field is found wherever it is written.
 * - **Walking** starts at the app's `main.ts` and follows every call and `new` the checker
 *   resolves into code that can hold an `ApiClient` (the packages that depend on
 *   `@metallb-ts/k8s-watch`, and k8s-watch itself; protocol libraries cannot, lint enforces it).
 *   Arguments are bound to parameters, so `informer(CORE_RESOURCES.secrets, ns)` reaching
 *   `client.list(this.opts.resource, { namespace: this.opts.namespace })` three calls down is
 *   one use: `list secrets` in the MetalLB namespace. A constructed class may have any of its
 *   methods called (by code outside the walk, through an interface): they are walked too.
 * - **Values** tracked: resources (`{ group, version, plural, namespaced }`, from literal types or
 *   object literals, through spreads, conditionals, `??`, `Object.values`, array elements and
 *   small helper functions), strings (subresources), the MetalLB namespace (the `namespace` /
 *   `mlNamespace` fields of an app's `*Flags`), and "unknown".
 * - **Scope**: a namespaced resource used only in the MetalLB namespace is `namespace` (a Role);
 *   anything else — no namespace on a list/watch, or a namespace taken from an object — is
 *   `cluster` (a ClusterRole). Cluster-scoped resources are always `cluster`.
 *
 * A sink whose resource or subresource cannot be told is reported in `unresolved` (with the
 * place the unknown came from), never silently dropped: the RBAC test fails on it.
 *
 * Runs under Node's type stripping as a CLI too (`node tools/test/rbac/api-uses.ts --json`), so
 * integration suites can compare the requests they saw with it without importing test code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** RBAC verbs the apps can use. */
export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
/** One of {@link VERBS}. */
export type Verb = (typeof VERBS)[number];
/** Where a use needs its permission: the MetalLB namespace only, or the whole cluster. */
export type Scope = 'namespace' | 'cluster';

/** One kind of API request an app makes. */
export interface ApiUse {
  app: string;
  /** API group, `''` for core. */
  group: string;
  /** Plural, with `/subresource` when there is one (`services/status`). */
  resource: string;
  verb: Verb;
  scope: Scope;
  /** `file:line` of every call site that makes it (relative to the repository root). */
  sites: string[];
}

/** A sink whose resource could not be told. */
export interface Unresolved {
  app: string;
  site: string;
  what: string;
}

/** What {@link deriveApiUses} found. */
export interface ApiUses {
  uses: ApiUse[];
  unresolved: Unresolved[];
  /** Source files walked (relative), per app. */
  files: Record<string, string[]>;
}

/** Options of {@link deriveApiUses}. */
export interface DeriveOptions {
  /** Repository root. @default this file's `../../..` */
  root?: string;
  /** App name → entry file (relative to root). @default controller and speaker `main.ts` */
  apps?: Record<string, string>;
  /** Replaces the text of source files (relative path → text): tests inject calls this way. */
  overlay?: Record<string, string>;
}

/** The default apps and their entry points. */
export const APPS: Record<string, string> = {
  controller: 'apps/controller/src/main.ts',
  speaker: 'apps/speaker/src/main.ts',
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// ---------------------------------------------------------------------------------------------
// Abstract values

interface Env {
  readonly fn: ts.Node | undefined;
  readonly params: Map<ts.Node, Thunk>;
  /** `this` for methods and constructors; arrows look it up in `parent`. */
  readonly self?: Val[];
  readonly parent: Env | undefined;
  /** Walked without a caller (a method of a constructed class, a callback): unbound parameters are not errors. */
  readonly speculative: boolean;
}

/** A parameter's binding: the values of the argument (`[undef]` when none was passed). */
type Thunk = { vals: Val[] };

type Val =
  | { k: 'res'; group: string; version: string; plural: string; namespaced: boolean }
  | { k: 'str'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'own' }
  | { k: 'undef' }
  | { k: 'unknown'; spec: boolean; at: string }
  | { k: 'obj'; node: ts.ObjectLiteralExpression; env: Env }
  | { k: 'list'; items: Val[][] }
  | { k: 'inst'; cls: ts.ClassLikeDeclaration; env: Env; key: string };

const UNDEF: Val = { k: 'undef' };
/** The MetalLB namespace inside a string built by a template (`/api/v1/namespaces/${ns}/…`). */
const OWN_MARK = '\u0000own\u0000';
const OWN: Val = { k: 'own' };

function valKey(v: Val): string {
  switch (v.k) {
    case 'res':
      return `res:${v.group}/${v.version}/${v.plural}/${v.namespaced}`;
    case 'str':
      return `str:${v.v}`;
    case 'bool':
      return `bool:${v.v}`;
    case 'own':
    case 'undef':
      return v.k;
    case 'unknown':
      return `unknown:${v.spec}:${v.at}`;
    case 'obj':
      return `obj:${nodeId(v.node)}@${envKey(v.env)}`;
    case 'list':
      return `list:${v.items.map((i) => i.map(valKey).join('|')).join(',')}`;
    case 'inst':
      return v.key;
  }
}

const nodeIds = new WeakMap<ts.Node, number>();
let nextNodeId = 1;
function nodeId(n: ts.Node): number {
  let id = nodeIds.get(n);
  if (id === undefined) nodeIds.set(n, (id = nextNodeId++));
  return id;
}

const envKeys = new WeakMap<Env, number>();
const interned = new Map<string, number>();
/**
 * A structural key of an environment — the function, `this`, the values bound to each parameter,
 * the enclosing environment — so the same function called with the same values is walked once.
 */
function envKey(env: Env | undefined): number {
  if (!env) return 0;
  const cached = envKeys.get(env);
  if (cached !== undefined) return cached;
  const params = [...env.params].map(([p, t]) => `${nodeId(p)}=${t.vals.map(valKey).join('|')}`);
  const text = `${env.fn ? nodeId(env.fn) : 0};${(env.self ?? []).map(valKey).join('|')};${params.join(',')};${envKey(env.parent)};${env.speculative}`;
  let id = interned.get(text);
  if (id === undefined) interned.set(text, (id = interned.size + 1));
  envKeys.set(env, id);
  return id;
}

function uniq(vs: Val[]): Val[] {
  const seen = new Map<string, Val>();
  for (const v of vs) if (!seen.has(valKey(v))) seen.set(valKey(v), v);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// The program

const SINK_METHODS: Record<string, Verb | 'request'> = { list: 'list', watch: 'watch', get: 'get', create: 'create', update: 'update', patch: 'patch', delete: 'delete', request: 'request' };
/** Argument index of the subresource, per sink method. */
const SUBRESOURCE_ARG: Record<string, number> = { get: 3, update: 4, patch: 6 };
const ELEMENT_METHODS = new Set(['map', 'forEach', 'filter', 'flatMap', 'some', 'every', 'find']);

function compilerOptions(root: string): ts.CompilerOptions {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  if (base.error) throw new Error(`cannot read tsconfig.base.json: ${ts.flattenDiagnosticMessageText(base.error.messageText, '\n')}`);
  const { options, errors } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, root);
  if (errors.length) throw new Error(`bad tsconfig.base.json: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('; ')}`);
  return { ...options, noEmit: true, declaration: false, sourceMap: false };
}

/** Package directories whose code may hold an ApiClient: k8s-watch and whatever depends on it. */
function apiPackages(root: string): string[] {
  const out: string[] = [];
  for (const group of ['libs', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of ts.sys.getDirectories(dir)) {
      const pj = join(dir, name, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; dependencies?: Record<string, string> };
      if (pkg.name === '@metallb-ts/k8s-watch' || Object.keys(pkg.dependencies ?? {}).includes('@metallb-ts/k8s-watch')) out.push(realpathSync(join(dir, name, 'src')) + '/');
    }
  }
  return out;
}

class Interpreter {
  readonly uses = new Map<string, ApiUse>();
  /** Sink sites → whether one use was derived there. */
  readonly sinks = new Map<string, boolean>();
  /** Non-speculative unknowns that reached a sink's resource or subresource. */
  readonly problems = new Map<string, Unresolved>();
  readonly walkedFiles = new Set<string>();
  /** Instances by class, this pass and the previous one (for calls on receivers we cannot tell). */
  private instances = new Map<ts.Node, Val[]>();
  private previous = new Map<ts.Node, Val[]>();
  private byNew = new Map<ts.Node, Val[]>();
  private stack: ts.Node[] = [];
  private budget = 0;

  private readonly checker: ts.TypeChecker;
  private readonly root: string;
  private readonly walkable: (f: ts.SourceFile) => boolean;
  readonly app: string;

  constructor(checker: ts.TypeChecker, root: string, walkable: (f: ts.SourceFile) => boolean, app: string) {
    this.checker = checker;
    this.root = root;
    this.walkable = walkable;
    this.app = app;
  }

  instanceCount(): number {
    let n = 0;
    for (const v of this.instances.values()) n += v.length;
    return n;
  }

  /** One pass over the app from its entry file; returns whether anything new was learnt. */
  pass(entry: ts.SourceFile): boolean {
    const before = `${this.uses.size}:${[...this.uses.values()].map((u) => u.sites.length).join(',')}:${this.instanceCount()}`;
    this.previous = this.instances;
    this.instances = new Map();
    this.byNew = new Map();
    this.budget = 200_000;
    this.done = new Set();
    this.problems.clear();
    const env: Env = { fn: entry, params: new Map(), parent: undefined, speculative: false };
    this.walk(entry, env);
    const after = `${this.uses.size}:${[...this.uses.values()].map((u) => u.sites.length).join(',')}:${this.instanceCount()}`;
    return before !== after;
  }

  site(n: ts.Node): string {
    const sf = n.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
    return `${relative(this.root, sf.fileName)}:${line + 1}`;
  }

  private unknown(env: Env, n: ts.Node): Val {
    return { k: 'unknown', spec: env.speculative, at: this.site(n) };
  }

  // -- walking ---------------------------------------------------------------------------------

  /** Activations already walked this pass: the same function in the same context adds nothing. */
  private done = new Set<string>();
  private firstVisit(fn: ts.Node, env: Env): boolean {
    const key = `${nodeId(fn)}:${envKey(env)}`;
    if (this.done.has(key)) return false;
    this.done.add(key);
    return true;
  }

  private activate(fn: ts.SignatureDeclaration, env: Env): void {
    if (this.stack.includes(fn) || this.budget-- <= 0 || !this.firstVisit(fn, env)) return;
    const body = (fn as ts.FunctionLikeDeclarationBase).body;
    if (!body) return;
    this.stack.push(fn);
    try {
      this.walk(body, env);
    } finally {
      this.stack.pop();
    }
  }

  private walk(node: ts.Node, env: Env): void {
    this.walkedFiles.add(relative(this.root, node.getSourceFile().fileName));
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionDeclaration(n) || ts.isClassLike(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return; // walked when called or constructed
      if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n !== node) {
        // A local function kept in a variable runs when called (and is walked then, with its arguments).
        if (ts.isVariableDeclaration(n.parent) && n.parent.initializer === n) return;
        this.walkCallback(n, env);
        return;
      }
      if (ts.isCallExpression(n)) this.call(n, env);
      else if (ts.isNewExpression(n)) this.construct(n, env);
      ts.forEachChild(n, visit);
    };
    if (ts.isSourceFile(node)) ts.forEachChild(node, visit);
    else visit(node);
  }

  /** A function passed somewhere (a callback): walked in place; element callbacks get the elements. */
  private walkCallback(fn: ts.ArrowFunction | ts.FunctionExpression, env: Env): void {
    const params = new Map<ts.Node, Thunk>();
    const call = fn.parent;
    if (ts.isCallExpression(call) && call.arguments[0] === fn && ts.isPropertyAccessExpression(call.expression) && ELEMENT_METHODS.has(call.expression.name.text)) {
      const p = fn.parameters[0];
      if (p) params.set(p, { vals: this.elements(this.eval(call.expression.expression, env), env, p) });
    }
    const inner: Env = { fn, params, parent: env, speculative: env.speculative };
    if (this.stack.includes(fn) || this.budget-- <= 0 || !this.firstVisit(fn, inner)) return;
    this.stack.push(fn);
    try {
      this.walk(fn.body, inner);
    } finally {
      this.stack.pop();
    }
  }

  private declarationOf(expr: ts.CallExpression | ts.NewExpression): ts.SignatureDeclaration | undefined {
    const sig = this.checker.getResolvedSignature(expr);
    const d = sig?.declaration;
    if (d && !ts.isJSDocSignature(d)) return d;
    return undefined;
  }

  private inScope(n: ts.Node): boolean {
    return this.walkable(n.getSourceFile());
  }

  /** The environment a function was defined in: the nearest enclosing activation. */
  private definingEnv(fn: ts.Node, env: Env): Env | undefined {
    for (let e: Env | undefined = env; e; e = e.parent) if (e.fn && e.fn !== fn && isAncestor(e.fn, fn)) return e;
    return undefined;
  }

  private bind(fn: ts.SignatureDeclaration, args: readonly ts.Expression[], env: Env): Map<ts.Node, Thunk> {
    const m = new Map<ts.Node, Thunk>();
    fn.parameters.forEach((p, i) => {
      if (p.dotDotDotToken) return;
      m.set(p, { vals: args[i] ? this.eval(args[i], env) : [UNDEF] });
    });
    return m;
  }

  private call(call: ts.CallExpression, env: Env): void {
    const decl = this.declarationOf(call);
    if (!decl) return;
    const name = decl.name && ts.isIdentifier(decl.name) ? decl.name.text : '';
    if (isSink(decl, name)) {
      this.sink(call, SINK_METHODS[name]!, env);
      return;
    }
    if (!this.inScope(decl) || !(decl as ts.FunctionLikeDeclarationBase).body) return;
    let self: Val[] | undefined;
    if (call.expression.kind === ts.SyntaxKind.SuperKeyword) self = this.thisOf(env, call);
    else if (ts.isMethodDeclaration(decl) || ts.isGetAccessor(decl)) {
      const cls = decl.parent;
      const recv = ts.isPropertyAccessExpression(call.expression) ? this.eval(call.expression.expression, env) : [];
      const insts = recv.filter((v) => v.k === 'inst' && (v.cls === cls || extendsClass(v.cls, cls, this.checker)));
      // A receiver we cannot tell (an array element, a parameter): any instance of the class.
      self = insts.length ? insts : ts.isClassLike(cls) ? this.allInstances(cls) : undefined;
    }
    const params = this.bind(decl, call.arguments, env);
    const parent = this.definingEnv(decl, env);
    // One activation per instance, so the fields of one object stay together (its resource with its namespace).
    for (const one of self?.length ? self.map((s) => [s]) : [undefined]) {
      this.activate(decl, { fn: decl, params, ...(one ? { self: one } : {}), parent, speculative: env.speculative });
    }
  }

  private allInstances(cls: ts.ClassLikeDeclaration): Val[] {
    const out: Val[] = [];
    for (const [c, vs] of [...this.instances, ...this.previous]) if (c === cls || (ts.isClassLike(c) && extendsClass(c, cls, this.checker))) out.push(...vs);
    return uniq(out);
  }

  private construct(expr: ts.NewExpression, env: Env): void {
    const cls = this.classOf(expr);
    // The client itself is where the sinks are: its insides are HTTP, not API uses.
    if (!cls || !this.inScope(cls) || implementsApiClient(cls)) return;
    const ctor = cls.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined);
    const ctorEnv: { fn: ts.Node; params: Map<ts.Node, Thunk>; self: Val[]; parent: Env | undefined; speculative: boolean } = {
      fn: ctor ?? cls,
      params: ctor ? this.bind(ctor, expr.arguments ?? [], env) : new Map(),
      self: [],
      parent: this.definingEnv(cls, env),
      speculative: env.speculative,
    };
    // Identity by where and with what it was built (computed before `this` is set: the key of the constructor's environment without itself).
    const inst: Val = { k: 'inst', cls, env: ctorEnv, key: `inst:${nodeId(expr)}@${envKey(ctorEnv)}` };
    ctorEnv.self.push(inst);
    this.instances.set(cls, uniq([...(this.instances.get(cls) ?? []), inst]));
    this.byNew.set(expr, uniq([...(this.byNew.get(expr) ?? []), inst]));
    if (this.stack.includes(cls)) return;
    this.stack.push(cls);
    try {
      for (const m of cls.members) if (ts.isPropertyDeclaration(m) && m.initializer) this.walk(m.initializer, ctorEnv);
      if (ctor) this.activate(ctor, ctorEnv);
      // Any method may be called later, by code this walk does not see (an interface, a timer).
      for (const m of cls.members) {
        if ((ts.isMethodDeclaration(m) || ts.isGetAccessor(m) || ts.isSetAccessor(m)) && m.body) {
          this.activate(m, { fn: m, params: new Map(), self: [inst], parent: undefined, speculative: true });
        }
      }
    } finally {
      this.stack.pop();
    }
  }

  private classOf(expr: ts.NewExpression): ts.ClassLikeDeclaration | undefined {
    const d = this.declarationOf(expr);
    if (d && ts.isConstructorDeclaration(d)) return d.parent;
    let s = this.checker.getSymbolAtLocation(expr.expression);
    if (s && s.flags & ts.SymbolFlags.Alias) s = this.checker.getAliasedSymbol(s);
    const c = s?.valueDeclaration;
    return c && ts.isClassLike(c) ? c : undefined;
  }

  // -- sinks -----------------------------------------------------------------------------------

  private sink(call: ts.CallExpression, method: Verb | 'request', env: Env): void {
    const site = this.site(call);
    if (!this.sinks.has(site)) this.sinks.set(site, false);
    const args = call.arguments;
    if (method === 'request') {
      const methods = this.eval(args[0], env);
      const paths = this.eval(args[1], env);
      for (const m of methods) {
        for (const p of paths) {
          if (m.k !== 'str' || p.k !== 'str') {
            this.problem(site, m.k === 'str' ? p : m, 'request method or path');
            continue;
          }
          const parsed = parseRequestPath(m.v, p.v);
          if (!parsed) {
            this.problem(site, { k: 'unknown', spec: env.speculative, at: site }, `request ${m.v} ${p.v}`);
            continue;
          }
          this.record(site, parsed.group, parsed.resource, parsed.verb, parsed.namespace === OWN_MARK ? 'namespace' : 'cluster');
        }
      }
      return;
    }
    const resources = this.eval(args[0], env).flatMap((v) => this.toResources(v, env, args[0]!));
    const namespaces = method === 'list' || method === 'watch' ? this.eval(args[1], env).flatMap((o) => this.prop(o, 'namespace', env, args[1] ?? call)) : this.eval(args[1], env);
    const subIdx = SUBRESOURCE_ARG[method];
    const subs = subIdx === undefined ? [UNDEF] : this.eval(args[subIdx], env);
    for (const r of resources) {
      if (r.k !== 'res') {
        this.problem(site, r, 'resource');
        continue;
      }
      for (const s of subs) {
        if (s.k !== 'str' && s.k !== 'undef') {
          this.problem(site, s, 'subresource');
          continue;
        }
        const resource = s.k === 'str' && s.v ? `${r.plural}/${s.v}` : r.plural;
        for (const ns of namespaces) {
          let scope: Scope | undefined;
          if (!r.namespaced) scope = 'cluster';
          else if (ns.k === 'own') scope = 'namespace';
          else if (ns.k === 'undef' || (ns.k === 'str' && ns.v === '')) scope = method === 'list' || method === 'watch' ? 'cluster' : undefined; // a namespaced object without a namespace is no valid request
          else scope = 'cluster';
          if (scope) this.record(site, r.group, resource, method, scope);
        }
      }
    }
  }

  private problem(site: string, v: Val, what: string): void {
    if (v.k === 'unknown' && v.spec) return; // a parameter nobody passed here: the real callers are walked too
    this.problems.set(`${site}:${what}`, { app: this.app, site, what: `cannot tell the ${what}${v.k === 'unknown' ? ` (unknown value from ${v.at})` : ` (got ${v.k})`}` });
  }

  private record(site: string, group: string, resource: string, verb: Verb, scope: Scope): void {
    this.sinks.set(site, true);
    const key = `${group}|${resource}|${verb}|${scope}`;
    const u = this.uses.get(key);
    if (!u) this.uses.set(key, { app: this.app, group, resource, verb, scope, sites: [site] });
    else if (!u.sites.includes(site)) u.sites.push(site);
  }

  private toResources(v: Val, env: Env, at: ts.Node): Val[] {
    if (v.k === 'res' || v.k === 'unknown') return [v];
    // The parameter is a required ResourceRef: "absent" is imprecision (a spread of an unknown object), not a request.
    if (v.k === 'undef') return [];
    if (v.k !== 'obj') return [this.unknown(env, at)];
    const out: Val[] = [];
    const strs = (name: string) => this.prop(v, name, env, at);
    for (const g of strs('group')) {
      for (const ver of strs('version')) {
        for (const p of strs('plural')) {
          if (g.k !== 'str' || ver.k !== 'str' || p.k !== 'str') {
            out.push(g.k === 'unknown' ? g : ver.k === 'unknown' ? ver : p.k === 'unknown' ? p : this.unknown(env, at));
            continue;
          }
          for (const n of strs('namespaced')) out.push({ k: 'res', group: g.v, version: ver.v, plural: p.v, namespaced: !(n.k === 'bool' && !n.v) });
        }
      }
    }
    return out;
  }

  // -- evaluation ------------------------------------------------------------------------------

  private fromType(expr: ts.Expression): Val[] | undefined {
    const t = this.checker.getTypeAtLocation(expr);
    const members = t.isUnion() ? t.types : [t];
    const out: Val[] = [];
    for (const m of members) {
      if (m.isStringLiteral()) {
        out.push({ k: 'str', v: m.value });
        continue;
      }
      if (m.flags & ts.TypeFlags.Undefined) {
        out.push(UNDEF);
        continue;
      }
      const lit = (name: string): string | undefined => {
        const s = m.getProperty(name);
        if (!s) return undefined;
        const pt = this.checker.getTypeOfSymbolAtLocation(s, expr);
        return pt.isStringLiteral() ? pt.value : undefined;
      };
      const [group, version, plural] = [lit('group'), lit('version'), lit('plural')];
      if (group === undefined || version === undefined || plural === undefined) return undefined;
      const ns = m.getProperty('namespaced');
      const nsType = ns ? this.checker.getTypeOfSymbolAtLocation(ns, expr) : undefined;
      out.push({ k: 'res', group, version, plural, namespaced: !(nsType && nsType.flags & ts.TypeFlags.BooleanLiteral && this.checker.typeToString(nsType) === 'false') });
    }
    return out.length ? out : undefined;
  }

  eval(expr: ts.Expression | undefined, env: Env, depth = 0): Val[] {
    if (!expr) return [UNDEF];
    if (depth > 200) return [this.unknown(env, expr)];
    const typed = this.fromType(expr);
    if (typed) return typed;
    const d = depth + 1;
    if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isNonNullExpression(expr) || ts.isSatisfiesExpression(expr) || ts.isTypeAssertionExpression(expr)) return this.eval(expr.expression, env, d);
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [{ k: 'str', v: expr.text }];
    if (expr.kind === ts.SyntaxKind.TrueKeyword) return [{ k: 'bool', v: true }];
    if (expr.kind === ts.SyntaxKind.FalseKeyword) return [{ k: 'bool', v: false }];
    if (expr.kind === ts.SyntaxKind.ThisKeyword) return this.thisOf(env, expr);
    if (ts.isObjectLiteralExpression(expr)) return [{ k: 'obj', node: expr, env }];
    if (ts.isArrayLiteralExpression(expr)) return [this.arrayOf(expr, env, d)];
    if (ts.isIdentifier(expr)) return this.identifier(expr, env, d);
    if (ts.isPropertyAccessExpression(expr)) {
      if (this.isOwnNamespace(expr)) return [OWN];
      return uniq(this.eval(expr.expression, env, d).flatMap((o) => this.prop(o, expr.name.text, env, expr, d)));
    }
    if (ts.isElementAccessExpression(expr) && ts.isStringLiteral(expr.argumentExpression)) {
      const key = expr.argumentExpression.text;
      return uniq(this.eval(expr.expression, env, d).flatMap((o) => this.prop(o, key, env, expr, d)));
    }
    if (ts.isConditionalExpression(expr)) {
      const test = this.eval(expr.condition, env, d);
      const t = test.some((v) => truthy(v) !== false);
      const f = test.some((v) => truthy(v) !== true);
      return uniq([...(t ? this.eval(expr.whenTrue, env, d) : []), ...(f ? this.eval(expr.whenFalse, env, d) : [])]);
    }
    if (ts.isBinaryExpression(expr)) {
      const op = expr.operatorToken.kind;
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
        const left = this.eval(expr.left, env, d);
        const fallsThrough = (v: Val) => (op === ts.SyntaxKind.QuestionQuestionToken ? v.k === 'undef' || v.k === 'unknown' : truthy(v) !== true);
        const kept = left.filter((v) => !(op === ts.SyntaxKind.QuestionQuestionToken ? v.k === 'undef' : truthy(v) === false));
        return uniq([...kept, ...(left.some(fallsThrough) ? this.eval(expr.right, env, d) : [])]);
      }
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
        const left = this.eval(expr.left, env, d);
        return uniq([...left.filter((v) => truthy(v) !== true), ...(left.some((v) => truthy(v) !== false) ? this.eval(expr.right, env, d) : [])]);
      }
      return [this.unknown(env, expr)];
    }
    if (ts.isTemplateExpression(expr)) {
      let out: string[] = [expr.head.text];
      for (const span of expr.templateSpans) {
        const parts = this.eval(span.expression, env, d);
        if (!parts.every((p) => p.k === 'str' || p.k === 'own')) return [this.unknown(env, expr)];
        out = out.flatMap((s) => parts.map((p) => s + (p.k === 'str' ? p.v : OWN_MARK) + span.literal.text));
      }
      return out.map((v) => ({ k: 'str', v }));
    }
    if (ts.isCallExpression(expr)) return this.callValue(expr, env, d);
    if (ts.isNewExpression(expr)) return this.byNew.get(expr) ?? [this.unknown(env, expr)];
    return [this.unknown(env, expr)];
  }

  /** `this`: bound by the activation (methods, constructors) or lexically (arrows); else every instance of the class. */
  private thisOf(env: Env, at: ts.Node): Val[] {
    for (let e: Env | undefined = env; e; e = e.parent) {
      if (e.self) return e.self;
      if (e.fn && (ts.isMethodDeclaration(e.fn) || ts.isConstructorDeclaration(e.fn) || ts.isFunctionDeclaration(e.fn) || ts.isFunctionExpression(e.fn) || ts.isGetAccessor(e.fn))) break;
    }
    const cls = ts.findAncestor(at, ts.isClassLike);
    const all = cls ? this.allInstances(cls) : [];
    return all.length ? all : [this.unknown(env, at)];
  }

  private isOwnNamespace(pa: ts.PropertyAccessExpression): boolean {
    if (pa.name.text !== 'namespace' && pa.name.text !== 'mlNamespace') return false;
    const t = this.checker.getTypeAtLocation(pa.expression);
    const name = (t.aliasSymbol ?? t.getSymbol())?.getName() ?? '';
    return /Flags$/.test(name);
  }

  private arrayOf(expr: ts.ArrayLiteralExpression, env: Env, d: number): Val {
    const items: Val[][] = [];
    for (const e of expr.elements) {
      if (ts.isSpreadElement(e)) {
        for (const l of this.eval(e.expression, env, d)) if (l.k === 'list') items.push(...l.items);
        continue;
      }
      items.push(this.eval(e, env, d));
    }
    return { k: 'list', items };
  }

  /** The elements of list values (for `for…of`, `.map` callbacks), `pick` selecting a tuple position. */
  private elements(vals: Val[], env: Env, at: ts.Node, pick?: number): Val[] {
    const out: Val[] = [];
    for (const v of vals) {
      if (v.k !== 'list') {
        out.push(v.k === 'unknown' ? v : this.unknown(env, at));
        continue;
      }
      for (const item of v.items) {
        if (pick === undefined) out.push(...item);
        else for (const t of item) out.push(...(t.k === 'list' ? (t.items[pick] ?? [UNDEF]) : [t.k === 'unknown' ? t : this.unknown(env, at)]));
      }
    }
    return uniq(out);
  }

  private identifier(id: ts.Identifier, env: Env, d: number): Val[] {
    if (id.text === 'undefined') return [UNDEF];
    let sym = ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id ? this.checker.getShorthandAssignmentValueSymbol(id.parent) : this.checker.getSymbolAtLocation(id);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
    const decl = sym?.valueDeclaration ?? sym?.declarations?.[0];
    if (!decl) return [this.unknown(env, id)];
    if (ts.isParameter(decl)) {
      for (let e: Env | undefined = env; e; e = e.parent) {
        const t = e.params.get(decl);
        if (!t) continue;
        const v = t.vals;
        return decl.initializer ? uniq(v.flatMap((x) => (x.k === 'undef' ? this.eval(decl.initializer, e, d) : [x]))) : v;
      }
      return [{ k: 'unknown', spec: this.declaredSpeculative(decl, env), at: this.site(id) }];
    }
    if (ts.isVariableDeclaration(decl)) {
      const list = decl.parent;
      const stmt = list?.parent;
      if (stmt && ts.isForOfStatement(stmt)) return this.elements(this.eval(stmt.expression, env, d), env, id);
      if (!decl.initializer || !ts.isIdentifier(decl.name)) return [this.unknown(env, id)];
      return this.eval(decl.initializer, env, d);
    }
    if (ts.isBindingElement(decl)) {
      // `for (const [a, b] of [[x, y], …])`
      const pattern = decl.parent;
      const vd = pattern.parent;
      if (ts.isArrayBindingPattern(pattern) && ts.isVariableDeclaration(vd) && vd.parent?.parent && ts.isForOfStatement(vd.parent.parent)) {
        return this.elements(this.eval(vd.parent.parent.expression, env, d), env, id, pattern.elements.indexOf(decl));
      }
      return [this.unknown(env, id)];
    }
    if (ts.isPropertyDeclaration(decl) && decl.initializer) return this.eval(decl.initializer, env, d);
    return [this.unknown(env, id)];
  }

  /** Whether a parameter is unbound because its function was walked without a caller. */
  private declaredSpeculative(p: ts.ParameterDeclaration, env: Env): boolean {
    for (let e: Env | undefined = env; e; e = e.parent) if (e.fn === p.parent) return e.speculative;
    return env.speculative;
  }

  /** A property of a value: object literals (with spreads), instance fields, list `length`. */
  prop(o: Val, name: string, env: Env, at: ts.Node, d = 0): Val[] {
    if (o.k === 'obj') return this.objectProp(o.node, o.env, name, o.node.properties.length - 1, d) ?? [UNDEF];
    if (o.k === 'inst') return this.field(o, name, at, d);
    if (o.k === 'unknown') return [o];
    if (o.k === 'undef') return [UNDEF];
    if (o.k === 'res') {
      if (name === 'group' || name === 'version' || name === 'plural') return [{ k: 'str', v: o[name] }];
      if (name === 'namespaced') return [{ k: 'bool', v: o.namespaced }];
    }
    return [this.unknown(env, at)];
  }

  private objectProp(node: ts.ObjectLiteralExpression, env: Env, name: string, from: number, d: number): Val[] | undefined {
    for (let i = from; i >= 0; i--) {
      const p = node.properties[i]!;
      if (ts.isPropertyAssignment(p) && propName(p.name) === name) return this.eval(p.initializer, env, d + 1);
      if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return this.identifier(p.name, env, d + 1);
      if ((ts.isMethodDeclaration(p) || ts.isGetAccessor(p)) && propName(p.name) === name) return [this.unknown(env, p)];
      if (ts.isSpreadAssignment(p)) {
        const out: Val[] = [];
        let fallThrough = false;
        // An unknown spread may or may not hold the property: it stands for "absent" too.
        let unknownOnly = true;
        for (const s of this.eval(p.expression, env, d + 1)) {
          if (s.k === 'obj') {
            const r = this.objectProp(s.node, s.env, name, s.node.properties.length - 1, d + 1);
            if (r) out.push(...r);
            else [fallThrough, unknownOnly] = [true, false];
          } else if (s.k === 'undef' || s.k === 'bool') [fallThrough, unknownOnly] = [true, false];
          else if (s.k === 'inst') out.push(...this.field(s, name, p, d + 1));
          else {
            out.push(s.k === 'unknown' ? s : this.unknown(env, p));
            fallThrough = true;
          }
        }
        if (!fallThrough) return uniq(out);
        const earlier = this.objectProp(node, env, name, i - 1, d);
        return uniq([...out, ...(earlier ?? (unknownOnly ? [] : [UNDEF]))]);
      }
    }
    return undefined;
  }

  /** An instance field: a constructor parameter property, an initializer, or `this.x = …` in the constructor. */
  private field(inst: Extract<Val, { k: 'inst' }>, name: string, at: ts.Node, d: number): Val[] {
    for (let cls: ts.ClassLikeDeclaration | undefined = inst.cls; cls; cls = baseClass(cls, this.checker)) {
      const out: Val[] = [];
      const ctor = cls.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined);
      for (const p of ctor?.parameters ?? []) {
        if (ts.isIdentifier(p.name) && p.name.text === name && ts.getModifiers(p)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.PublicKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.ReadonlyKeyword)) {
          const t = inst.env.params.get(p);
          if (t) out.push(...(p.initializer ? t.vals.flatMap((x) => (x.k === 'undef' ? this.eval(p.initializer!, inst.env, d + 1) : [x])) : t.vals));
        }
      }
      for (const m of cls.members) {
        if (ts.isPropertyDeclaration(m) && propName(m.name) === name && m.initializer) out.push(...this.eval(m.initializer, inst.env, d + 1));
      }
      if (ctor?.body) {
        const visit = (n: ts.Node): void => {
          if (ts.isFunctionLike(n)) return;
          if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.expression.kind === ts.SyntaxKind.ThisKeyword && n.left.name.text === name) {
            out.push(...this.eval(n.right, inst.env, d + 1));
          }
          ts.forEachChild(n, visit);
        };
        visit(ctor.body);
      }
      if (out.length) return uniq(out);
    }
    return [{ k: 'unknown', spec: inst.env.speculative, at: this.site(at) }];
  }

  /** The value of a call: `Object.values(x)`, and small workspace functions whose returns we can read. */
  private callValue(call: ts.CallExpression, env: Env, d: number): Val[] {
    const callee = call.expression;
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Object' && callee.name.text === 'values') {
      const items: Val[][] = [];
      for (const o of this.eval(call.arguments[0], env, d)) {
        if (o.k !== 'obj') return [this.unknown(env, call)];
        for (const p of o.node.properties) {
          if (ts.isPropertyAssignment(p)) items.push(this.eval(p.initializer, o.env, d));
          else if (ts.isShorthandPropertyAssignment(p)) items.push(this.identifier(p.name, o.env, d));
          else return [this.unknown(env, call)];
        }
      }
      return [{ k: 'list', items }];
    }
    const decl = this.declarationOf(call);
    if (!decl || !this.inScope(decl) || !(ts.isFunctionDeclaration(decl) || ts.isArrowFunction(decl) || ts.isFunctionExpression(decl))) return [this.unknown(env, call)];
    const body = decl.body;
    if (!body) return [this.unknown(env, call)];
    const inner: Env = { fn: decl, params: this.bind(decl, call.arguments, env), parent: this.definingEnv(decl, env), speculative: env.speculative };
    if (!ts.isBlock(body)) return this.eval(body, inner, d);
    const out: Val[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n)) out.push(...this.eval(n.expression, inner, d));
      ts.forEachChild(n, visit);
    };
    visit(body);
    return out.length ? uniq(out) : [this.unknown(env, call)];
  }
}

/**
 * Whether a resolved call is an API request: a method of the `ApiClient` port (or of a class
 * implementing it), or a raw `request(method, path, …)` — `KubeClient`'s, or a narrow interface
 * declaring the same (as `JsonRequester` does for the metrics reviews).
 */
function isSink(decl: ts.SignatureDeclaration, name: string): boolean {
  if (!(name in SINK_METHODS)) return false;
  const owner = decl.parent;
  const ownerIsClient = (ts.isInterfaceDeclaration(owner) && owner.name.text === 'ApiClient') || (ts.isClassDeclaration(owner) && implementsApiClient(owner));
  if (name !== 'request') return ownerIsClient;
  if (!(ts.isInterfaceDeclaration(owner) || ts.isClassDeclaration(owner) || ts.isTypeLiteralNode(owner))) return false;
  const [m, p] = decl.parameters.map((x) => (ts.isIdentifier(x.name) ? x.name.text : ''));
  return m === 'method' && p === 'path';
}

function implementsApiClient(cls: ts.ClassLikeDeclaration): boolean {
  return (cls.heritageClauses ?? []).some((h) => h.token === ts.SyntaxKind.ImplementsKeyword && h.types.some((t) => ts.isIdentifier(t.expression) && t.expression.text === 'ApiClient'));
}

function truthy(v: Val): boolean | undefined {
  switch (v.k) {
    case 'undef':
      return false;
    case 'str':
      return v.v !== '';
    case 'bool':
      return v.v;
    case 'unknown':
      return undefined;
    default:
      return true;
  }
}

function propName(n: ts.PropertyName): string | undefined {
  return ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) ? n.text : undefined;
}

function isAncestor(a: ts.Node, b: ts.Node): boolean {
  for (let n: ts.Node | undefined = b.parent; n; n = n.parent) if (n === a) return true;
  return false;
}

function baseClass(cls: ts.ClassLikeDeclaration, checker: ts.TypeChecker): ts.ClassLikeDeclaration | undefined {
  const ext = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (!ext) return undefined;
  let s = checker.getSymbolAtLocation(ext.expression);
  if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
  const d = s?.valueDeclaration;
  return d && ts.isClassLike(d) ? d : undefined;
}

function extendsClass(cls: ts.ClassLikeDeclaration, base: ts.Node, checker: ts.TypeChecker): boolean {
  for (let c = baseClass(cls, checker); c; c = baseClass(c, checker)) if (c === base) return true;
  return false;
}

/** `{ group, resource, verb, namespace }` of a raw request path (`/api/v1/namespaces/x/pods`). */
export function parseRequestPath(method: string, path: string, query = ''): { group: string; resource: string; verb: Verb; namespace: string | undefined } | undefined {
  const u = new URL(path + (query ? `?${query}` : ''), 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  if (!plural) return undefined;
  const watch = u.searchParams.get('watch');
  const m = method.toUpperCase();
  const verb: Verb | undefined =
    m === 'GET' ? (name === undefined ? (watch === 'true' || watch === '1' ? 'watch' : 'list') : 'get') : m === 'POST' ? 'create' : m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? (name === undefined ? 'deletecollection' : 'delete') : undefined;
  if (!verb) return undefined;
  return { group, resource: sub ? `${plural}/${sub}` : plural, verb, namespace };
}

/**
 * Derives every API use of each app from its sources. Deterministic: the same sources give the
 * same uses, sorted by app, group, resource, verb, scope.
 */
export function deriveApiUses(opts: DeriveOptions = {}): ApiUses {
  const root = opts.root ?? ROOT;
  const apps = opts.apps ?? APPS;
  const overlay = new Map(Object.entries(opts.overlay ?? {}).map(([k, v]) => [resolve(root, k), v]));
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => overlay.get(resolve(f)) ?? readFile(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = overlay.get(resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, lang, true) : getSourceFile(f, lang, onError, create);
  };
  const entries = Object.values(apps).map((e) => resolve(root, e));
  const program = ts.createProgram({ rootNames: entries, options, host });
  const checker = program.getTypeChecker();
  const packages = apiPackages(root);
  const walkable = (sf: ts.SourceFile) => !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/') && !/\.spec\.ts$/.test(sf.fileName) && !sf.fileName.includes('/testing/') && packages.some((p) => sf.fileName.startsWith(p));
  const uses: ApiUse[] = [];
  const unresolved: Unresolved[] = [];
  const files: Record<string, string[]> = {};
  for (const [app, entry] of Object.entries(apps)) {
    const sf = program.getSourceFile(resolve(root, entry));
    if (!sf) throw new Error(`${entry}: not found`);
    const syntax = program.getSyntacticDiagnostics(sf);
    if (syntax.length) throw new Error(`${entry}: ${syntax.map((x) => ts.flattenDiagnosticMessageText(x.messageText, '\n')).join('; ')}`);
    const it = new Interpreter(checker, root, walkable, app);
    for (let i = 0; i < 6 && it.pass(sf); i++);
    uses.push(...it.uses.values());
    unresolved.push(...it.problems.values());
    for (const [site, resolved] of it.sinks) if (!resolved && ![...it.problems.values()].some((p) => p.site === site)) unresolved.push({ app, site, what: 'no resource could be derived for this call' });
    files[app] = [...it.walkedFiles].sort();
  }
  const order = (u: ApiUse) => `${u.app}|${u.group}|${u.resource}|${u.verb}|${u.scope}`;
  uses.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  for (const u of uses) u.sites.sort();
  return { uses, unresolved, files };
}

/** One request as a recording proxy saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  /** The query string without `?`. */
  query?: string;
}

/**
 * The requests no derived use of `app` accounts for: a resource request whose verb and resource
 * were not derived, or were derived for the MetalLB namespace only and went elsewhere, and any
 * request that is no resource request at all (the derivation has no words for it).
 */
export function uncoveredRequests(uses: readonly ApiUse[], app: string, requests: readonly SeenRequest[], metallbNamespace = 'metallb-system'): SeenRequest[] {
  const mine = uses.filter((u) => u.app === app);
  return requests.filter((r) => {
    const p = parseRequestPath(r.method, r.path, r.query ?? '');
    if (!p) return true;
    return !mine.some((u) => u.group === p.group && u.resource === p.resource && u.verb === p.verb && (u.scope === 'cluster' || p.namespace === metallbNamespace));
  });
}

/**
 * {@link deriveApiUses} for one app, cached in the temporary directory: reused while this file
 * and every file the last derivation walked are unchanged (a new import changes a walked file).
 */
export function deriveApiUsesCached(app: string, root = ROOT): ApiUses {
  const dir = join(tmpdir(), 'metallb-ts-api-uses');
  const file = join(dir, `${app}-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.json`);
  const hashOf = (files: readonly string[]) => {
    const h = createHash('sha256');
    for (const f of [relative(root, fileURLToPath(import.meta.url)), 'tsconfig.base.json', ...files]) h.update(f).update('\0').update(existsSync(join(root, f)) ? readFileSync(join(root, f)) : '').update('\0');
    return h.digest('hex');
  };
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { hash: string; result: ApiUses };
    if (cached.hash === hashOf(cached.result.files[app] ?? [])) return cached.result;
  } catch {
    // no cache yet, or unreadable: derive
  }
  const entry = APPS[app];
  if (!entry) throw new Error(`unknown app "${app}" (known: ${Object.keys(APPS).join(', ')})`);
  const result = deriveApiUses({ root, apps: { [app]: entry } });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.${process.pid}`, JSON.stringify({ hash: hashOf(result.files[app] ?? []), result }));
  renameSync(`${file}.${process.pid}`, file);
  return result;
}

/** `verb group/resource (scope)` — one line per use, as the CLI prints it. */
export function formatUse(u: ApiUse): string {
  return `${u.app.padEnd(10)} ${u.verb.padEnd(7)} ${(u.group ? `${u.resource}.${u.group}` : u.resource).padEnd(40)} ${u.scope}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = value('--app');
  if (only !== undefined && !(only in APPS)) {
    process.stderr.write(`unknown app "${only}" (known: ${Object.keys(APPS).join(', ')})\n`);
    process.exit(2);
  }
  const check = value('--check');
  if (check !== undefined) {
    // --check FILE: a JSON array of requests ({ method, path, query }) one app made; prints those
    // no derived use accounts for (JSON) and exits 1 when there are any.
    if (!only) {
      process.stderr.write('--check needs --app\n');
      process.exit(2);
    }
    const r = deriveApiUsesCached(only);
    const out = uncoveredRequests(r.uses, only, JSON.parse(readFileSync(check, 'utf8')) as SeenRequest[], value('--namespace') ?? 'metallb-system');
    process.stdout.write(`${JSON.stringify({ uncovered: out, unresolved: r.unresolved })}\n`);
    process.exit(out.length || r.unresolved.length ? 1 : 0);
  }
  const r = only ? deriveApiUsesCached(only) : deriveApiUses();
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    for (const u of r.uses) process.stdout.write(`${formatUse(u)}  ${u.sites.join(' ')}\n`);
    for (const p of r.unresolved) process.stdout.write(`UNRESOLVED ${p.app} ${p.site}: ${p.what}\n`);
  }
  process.exit(r.unresolved.length ? 1 : 0);
}
