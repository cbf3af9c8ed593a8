// Sign-in on AWS and SigV4 signing in the browser, with nothing but fetch and WebCrypto.
// A Cognito user pool checks the password (USER_PASSWORD_AUTH over TLS, new-password and TOTP
// challenges); the identity pool turns its ID token into temporary IAM credentials that may
// call this stack's REST API and open its WebSocket ($connect), and nothing else.

const encoder = new TextEncoder();

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (text) => hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));

async function hmac(key, text) {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const imported = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", imported, encoder.encode(text));
}

// RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone).
const rfc3986 = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

function amzDate(now) {
  const iso = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { stamp: iso, day: iso.slice(0, 8) };
}

function canonicalQuery(params) {
  return [...params.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

const canonicalPath = (path) => path.split("/").map((s) => rfc3986(decodeURIComponent(s))).join("/") || "/";

async function signature(credentials, region, service, day, stringToSign) {
  let key = await hmac("AWS4" + credentials.secretAccessKey, day);
  for (const part of [region, service, "aws4_request"]) key = await hmac(key, part);
  return hex(await hmac(key, stringToSign));
}

// Headers that make a request SigV4-signed: {authorization, x-amz-date, x-amz-security-token}.
export async function signRequest({ method, url, body = "", headers = {}, credentials, region, service = "execute-api", now = new Date() }) {
  const target = new URL(url);
  const { stamp, day } = amzDate(now);
  const all = { ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()])), host: target.host, "x-amz-date": stamp };
  if (credentials.sessionToken) all["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(all).sort();
  const canonical = [
    method.toUpperCase(), canonicalPath(target.pathname), canonicalQuery(target.searchParams),
    names.map((n) => `${n}:${all[n]}\n`).join(""), names.join(";"), await sha256(body),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256(canonical)].join("\n");
  const signed = await signature(credentials, region, service, day, toSign);
  const out = { "x-amz-date": stamp, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signed}` };
  if (credentials.sessionToken) out["x-amz-security-token"] = credentials.sessionToken;
  return out;
}

// A presigned URL (query-string SigV4), as a browser's WebSocket cannot send headers.
export async function presignUrl({ url, credentials, region, service = "execute-api", now = new Date(), expires = 300 }) {
  const target = new URL(url);
  const { stamp, day } = amzDate(now);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const params = target.searchParams;
  params.set("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  params.set("X-Amz-Credential", `${credentials.accessKeyId}/${scope}`);
  params.set("X-Amz-Date", stamp);
  params.set("X-Amz-Expires", String(expires));
  if (credentials.sessionToken) params.set("X-Amz-Security-Token", credentials.sessionToken);
  params.set("X-Amz-SignedHeaders", "host");
  const canonical = [
    "GET", canonicalPath(target.pathname), canonicalQuery(params), `host:${target.host}\n`, "host", await sha256(""),
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256(canonical)].join("\n");
  params.set("X-Amz-Signature", await signature(credentials, region, service, day, toSign));
  return target.toString();
}

async function awsJson(region, service, target, payload) {
  const response = await fetch(`https://${service}.${region}.amazonaws.com/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target },
    body: JSON.stringify(payload),
  });
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.message || data.__type || `sign-in failed (${response.status})`);
    error.name = (data.__type || "Error").split("#").pop(); // NotAuthorizedException: sign in again
    throw error;
  }
  return data;
}

const idp = (config, action, payload) => awsJson(config.region, "cognito-idp", `AWSCognitoIdentityProviderService.${action}`, payload);

// One signed-in user: their tokens (sessionStorage, this tab only) and temporary credentials.
export class Session {
  constructor(config) {
    this.config = config;
    this.credentials = null;
    this.tokens = JSON.parse(sessionStorage.getItem("alerting.tokens") || "null");
  }

  get signedIn() { return Boolean(this.tokens); }

  // Who is signed in (the ID token's e-mail): recorded as the actor of their acknowledgements.
  get user() {
    try {
      const payload = this.tokens.id.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).email || "dashboard user";
    } catch { return "dashboard user"; }
  }

  // Returns null when signed in, or the challenge to answer ("NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA").
  async signIn({ username, password, newPassword, code }) {
    let answer = await idp(this.config, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH", ClientId: this.config.client_id, AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    while (answer.ChallengeName) {
      const responses = { USERNAME: username };
      if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED" && newPassword) responses.NEW_PASSWORD = newPassword;
      else if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA" && code) responses.SOFTWARE_TOKEN_MFA_CODE = code;
      else return answer.ChallengeName;
      answer = await idp(this.config, "RespondToAuthChallenge", {
        ChallengeName: answer.ChallengeName, ClientId: this.config.client_id, Session: answer.Session, ChallengeResponses: responses,
      });
    }
    this._keep(answer.AuthenticationResult);
    return null;
  }

  signOut() {
    sessionStorage.removeItem("alerting.tokens");
    this.tokens = null;
    this.credentials = null;
  }

  _keep(result) {
    this.tokens = { id: result.IdToken, refresh: result.RefreshToken || this.tokens?.refresh };
    sessionStorage.setItem("alerting.tokens", JSON.stringify(this.tokens));
    this.credentials = null;
  }

  async _refresh() {
    const answer = await idp(this.config, "InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: this.config.client_id, AuthParameters: { REFRESH_TOKEN: this.tokens.refresh },
    });
    this._keep(answer.AuthenticationResult);
  }

  // Temporary credentials, renewed five minutes before they expire.
  async awsCredentials() {
    if (this.credentials && this.credentials.expiration - Date.now() > 300_000) return this.credentials;
    const { region, user_pool_id: pool, identity_pool_id: identityPool } = this.config;
    const exchange = async () => {
      const logins = { [`cognito-idp.${region}.amazonaws.com/${pool}`]: this.tokens.id };
      const target = (action) => `AWSCognitoIdentityService.${action}`;
      const { IdentityId } = await awsJson(region, "cognito-identity", target("GetId"), { IdentityPoolId: identityPool, Logins: logins });
      return awsJson(region, "cognito-identity", target("GetCredentialsForIdentity"), { IdentityId, Logins: logins });
    };
    let answer;
    try { answer = await exchange(); } catch { await this._refresh(); answer = await exchange(); }
    const c = answer.Credentials;
    this.credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretKey, sessionToken: c.SessionToken, expiration: c.Expiration * 1000 };
    return this.credentials;
  }
}
