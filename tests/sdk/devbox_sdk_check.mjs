// Drives the official Devbox TypeScript SDK (npm @latitudesh/devbox@0.2.0) against a running `boxdeck sim`.
// Usage: BOXDECK_SIM_URL=http://127.0.0.1:PORT SPRITES_TOKEN=... USER_TOKEN=... node devbox_sdk_check.mjs
// Prints one line per call and exits non-zero on the first surprise.
import assert from "node:assert/strict";
import { DevboxApiError, DevboxClient } from "@latitudesh/devbox";

const baseUrl = process.env.BOXDECK_SIM_URL;
const client = new DevboxClient({
  baseUrl,
  providerToken: process.env.SPRITES_TOKEN, // SDK 0.2.0 sends it as X-Provider-Token
  userToken: process.env.USER_TOKEN,
});
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9yYm94ZGVja3NpbXVsYXRvcnRlc3Rz sdk@boxdeck";
const log = (what, value) => console.log(`${what.padEnd(22)} ${JSON.stringify(value)}`);

async function expectApiError(promise, status) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DevboxApiError, `expected DevboxApiError, got ${err}`);
    assert.equal(err.status, status);
    return err;
  }
  assert.fail(`expected HTTP ${status}`);
}

// devboxes
const created = await client.devboxes.create(
  {
    name: "sdk-check",
    repositories: [{ repo_id: 700201, full_name: "acme-labs/platform", ref: "main", target_path: "/workspace/platform" }],
    credential_profile: { inject_claude_token: true, inject_codex_token: true },
    setup_commands: ["npm ci"],
  },
  { claudeToken: "sk-ant-sdk-check", codexToken: "sk-codex-sdk-check" },
);
assert.equal(created.state, "requested");
log("create", { id: created.id, state: created.state });

const ready = await client.devboxes.waitForReady(created.id, { intervalMs: 100, timeoutMs: 30000 });
assert.equal(ready.state, "ready");
assert.ok(ready.access_url);
log("waitForReady", { state: ready.state, access_url: ready.access_url });

const listed = await client.devboxes.list();
assert.ok(Array.isArray(listed) && listed.some((d) => d.id === created.id));
log("list", { count: listed.length });

const ops = await client.devboxes.listOperations(created.id);
assert.deepEqual(ops.map((o) => o.step), ["provision", "inject_credentials", "clone_repositories", "publish_access"]);
assert.ok(ops.every((o) => o.status === "success"));
log("listOperations", ops.map((o) => `${o.step}:${o.status}`));

const repos = await client.devboxes.listRepositories(created.id);
assert.equal(repos[0].clone_status, "cloned");
log("listRepositories", repos.map((r) => `${r.full_name}:${r.clone_status}`));

const session = await client.devboxes.createSession(created.id);
assert.ok(session.session_id && session.expires_at && session.command.startsWith("ssh "));
log("createSession", { command: session.command });

const execs = await client.devboxes.listSessions(created.id);
assert.ok(Array.isArray(execs) && execs.some((e) => e.command === "bash -l"));
log("listSessions", execs.map((e) => `${e.command}:${e.is_active ? "active" : "idle"}`));

assert.equal(await client.devboxes.revokeSession(created.id, session.session_id), undefined);
log("revokeSession", "204");
await expectApiError(client.devboxes.revokeSession(created.id, session.session_id), 404);
log("revokeSession again", "404");

// users
log("getProfile", await client.users.getProfile());
assert.equal(await client.users.setSshKey(KEY), undefined);
assert.deepEqual(await client.users.getProfile(), { has_ssh_key: true });
log("setSshKey", "204 -> has_ssh_key true");
const bad = await expectApiError(client.users.setSshKey("not a key"), 422);
log("setSshKey garbage", `${bad.status}: ${bad.detail}`);
assert.equal(await client.users.deleteSshKey(), undefined);
assert.deepEqual(await client.users.getProfile(), { has_ssh_key: false });
log("deleteSshKey", "204 -> has_ssh_key false");

// github (the demo world starts connected)
log("getConnection", await client.github.getConnection());
assert.equal(await client.github.disconnect(), undefined);
assert.equal(await client.github.getConnection(), null);
log("disconnect", "204 -> getConnection null");
const oauth = await client.github.startOAuth("https://boxdeck.local/after-github");
assert.ok(oauth.authorize_url.startsWith(`${baseUrl}/_sim/github/authorize`));
log("startOAuth", { authorize_url: oauth.authorize_url });
const page = await fetch(oauth.authorize_url);
assert.equal(page.status, 200);
const conn = await client.github.getConnection();
assert.equal(conn.github_login, "sim-octocat");
log("getConnection", conn);
const orgs = await client.github.listOrgs();
log("listOrgs", orgs);
const grants = await client.github.updateOrgGrants([orgs[0].org_login]);
assert.deepEqual(grants, { selected_count: 1 });
log("updateOrgGrants", grants);
const ghRepos = await client.github.listRepos();
assert.ok(ghRepos.some((r) => r.granted && r.full_name.startsWith(`${orgs[0].org_login}/`)));
log("listRepos", ghRepos.map((r) => `${r.full_name}${r.granted ? "" : " (not granted)"}`));
assert.equal(await client.github.disconnect(), undefined);
assert.equal(await client.github.getConnection(), null);
log("disconnect", "204 -> getConnection null");

// errors and the end of a devbox
const missing = await expectApiError(client.devboxes.get("no-such-devbox"), 404);
log("get unknown", `${missing.status}: ${missing.detail}`);
const invalid = await expectApiError(client.devboxes.create({}), 422);
log("create invalid", `${invalid.status}: ${invalid.detail}`);
assert.equal(await client.devboxes.delete(created.id), undefined);
const gone = await client.devboxes.get(created.id);
assert.equal(gone.state, "destroyed");
log("delete", `204 -> ${gone.state}`);
const terminal = await expectApiError(client.devboxes.waitForReady(created.id, { intervalMs: 100 }), 409);
log("waitForReady destroyed", terminal.message);
console.log("OK: the official SDK ran every call against boxdeck sim");
