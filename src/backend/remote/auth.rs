//! Keystone v3: asks for a token with the configured method and picks the block-storage
//! endpoint out of the catalog that comes with it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clouds::{AuthConfig, Domain, Named, Scope};
use super::fault;
use crate::backend::{Error, Result};

/// Catalog types that name Cinder's v3 API, official name first (os-service-types order,
/// without the retired v2).
pub const BLOCK_STORAGE_TYPES: &[&str] = &["block-storage", "volumev3", "volume", "block-store"];

/// A token Keystone issued, with its catalog.
pub struct IssuedToken {
    pub value: SecretString,
    pub expires_at: Option<DateTime<Utc>>,
    pub catalog: Vec<CatalogService>,
}

/// One service of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogService {
    #[serde(rename = "type")]
    pub service_type: String,
    #[serde(default)]
    pub endpoints: Vec<CatalogEndpoint>,
}

/// One endpoint of a catalog service.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogEndpoint {
    pub interface: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub region_id: Option<String>,
    pub url: String,
}

impl CatalogEndpoint {
    /// The URL as the catalog gives it (it already names the project), without a
    /// trailing slash.
    pub fn url(&self) -> &str {
        self.url.trim_end_matches('/')
    }

    /// The region it is in, by id or, in older catalogs, by name.
    pub fn region(&self) -> Option<&str> {
        self.region_id.as_deref().or(self.region.as_deref())
    }
}

#[derive(Deserialize)]
struct TokenDocument {
    token: TokenBody,
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    catalog: Vec<CatalogService>,
}

/// `POST …/v3/auth/tokens`; like keystoneauth, `/v3` is added unless the URL has it.
pub fn token_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("/v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}

fn domain_json(domain: &Domain) -> Value {
    match domain {
        Domain::Id(id) => json!({ "id": id }),
        Domain::Name(name) => json!({ "name": name }),
    }
}

fn named_json(named: &Named) -> Value {
    match named {
        Named::Id(id) => json!({ "id": id }),
        Named::Name { name, domain } => {
            let mut object = json!({ "name": name });
            if let Some(domain) = domain {
                object["domain"] = domain_json(domain);
            }
            object
        }
    }
}

fn scope_json(scope: &Scope) -> Option<Value> {
    match scope {
        Scope::Project(project) => Some(json!({ "project": named_json(project) })),
        Scope::Domain(domain) => Some(json!({ "domain": domain_json(domain) })),
        Scope::Unscoped => None,
    }
}

/// The token request body. It holds secrets: it is sent, never logged.
fn request_body(auth: &AuthConfig) -> Option<(String, Value)> {
    let (auth_url, identity, scope) = match auth {
        AuthConfig::Password {
            auth_url,
            user,
            password,
            scope,
        } => {
            let mut user = named_json(user);
            user["password"] = json!(password.expose_secret());
            let identity = json!({ "methods": ["password"], "password": { "user": user } });
            (auth_url, identity, scope_json(scope))
        }
        AuthConfig::ApplicationCredential {
            auth_url,
            credential,
            user,
            secret,
        } => {
            let mut credential = match credential {
                Named::Id(id) => json!({ "id": id }),
                Named::Name { name, .. } => json!({ "name": name }),
            };
            credential["secret"] = json!(secret.expose_secret());
            if let Some(user) = user {
                credential["user"] = named_json(user);
            }
            let identity = json!({
                "methods": ["application_credential"],
                "application_credential": credential,
            });
            // Keystone refuses a scope here: the credential fixes the project.
            (auth_url, identity, None)
        }
        AuthConfig::Token {
            auth_url,
            token,
            scope,
        } => {
            let identity =
                json!({ "methods": ["token"], "token": { "id": token.expose_secret() } });
            (auth_url, identity, scope_json(scope))
        }
        AuthConfig::AdminToken { .. } | AuthConfig::NoAuth { .. } => return None,
    };
    let mut body = json!({ "auth": { "identity": identity } });
    if let Some(scope) = scope {
        body["auth"]["scope"] = scope;
    }
    Some((token_url(auth_url), body))
}

/// Asks Keystone for a token. `None` for methods that need no Keystone.
pub async fn issue(
    client: &reqwest::Client,
    auth: &AuthConfig,
    timeout: Duration,
) -> Result<Option<IssuedToken>> {
    let Some((url, body)) = request_body(auth) else {
        return Ok(None);
    };
    tracing::debug!(%url, "requesting a Keystone token");
    let response = client
        .post(&url)
        .json(&body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|err| {
            Error::Backend(fault::transport_message(
                &format!("POST {url}"),
                timeout,
                &err,
            ))
        })?;
    let status = response.status();
    let token = response
        .headers()
        .get("X-Subject-Token")
        .and_then(|value| value.to_str().ok())
        .map(|value| SecretString::from(value.to_string()));
    let bytes = response
        .bytes()
        .await
        .map_err(|err| Error::Backend(format!("Keystone at {url}: {err}")))?;
    if !status.is_success() {
        return Err(fault::from_response(status, &bytes, &format!("POST {url}")));
    }
    let value = token.ok_or_else(|| {
        Error::Backend(format!(
            "Keystone at {url} answered {status} without X-Subject-Token"
        ))
    })?;
    let (expires_at, catalog) = parse_token(&bytes, &url)?;
    tracing::debug!(?expires_at, "Keystone token issued");
    Ok(Some(IssuedToken {
        value,
        expires_at,
        catalog,
    }))
}

/// Reads the body of Keystone's token answer from `url`: when the token expires, and
/// the service catalog.
pub fn parse_token(body: &[u8], url: &str) -> Result<(Option<DateTime<Utc>>, Vec<CatalogService>)> {
    let document: TokenDocument = serde_json::from_slice(body)
        .map_err(|err| Error::Backend(format!("Keystone at {url}: unreadable token: {err}")))?;
    Ok((document.token.expires_at, document.token.catalog))
}

/// The block-storage endpoint for `interface` in `region` (any region when none is set).
pub fn block_storage_endpoint<'a>(
    catalog: &'a [CatalogService],
    region: Option<&str>,
    interface: &str,
) -> Result<&'a CatalogEndpoint> {
    let region_matches = |endpoint: &CatalogEndpoint| match region {
        None => true,
        Some(wanted) => {
            endpoint.region.as_deref() == Some(wanted)
                || endpoint.region_id.as_deref() == Some(wanted)
        }
    };
    BLOCK_STORAGE_TYPES
        .iter()
        .flat_map(|wanted| catalog.iter().filter(move |s| s.service_type == *wanted))
        .flat_map(|service| service.endpoints.iter())
        .find(|endpoint| endpoint.interface == interface && region_matches(endpoint))
        .ok_or_else(|| {
            let offered: Vec<String> = catalog
                .iter()
                .flat_map(|s| {
                    s.endpoints.iter().map(move |e| {
                        format!("{} {} {}", s.service_type, e.interface, e.region.as_deref().unwrap_or("-"))
                    })
                })
                .collect();
            Error::Backend(format!(
                "the catalog has no block-storage endpoint (types {}) for interface {interface} in region {}; it offers: {}",
                BLOCK_STORAGE_TYPES.join(", "),
                region.unwrap_or("(any)"),
                if offered.is_empty() { "nothing".into() } else { offered.join("; ") }
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(kind: &str, endpoints: &[(&str, &str, &str)]) -> CatalogService {
        CatalogService {
            service_type: kind.into(),
            endpoints: endpoints
                .iter()
                .map(|(interface, region, url)| CatalogEndpoint {
                    interface: (*interface).into(),
                    region: Some((*region).into()),
                    region_id: Some((*region).into()),
                    url: (*url).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn token_url_adds_v3_once() {
        assert_eq!(
            token_url("http://k/identity"),
            "http://k/identity/v3/auth/tokens"
        );
        assert_eq!(
            token_url("http://k/identity/v3/"),
            "http://k/identity/v3/auth/tokens"
        );
    }

    #[test]
    fn catalog_prefers_the_official_type_then_region_and_interface() {
        let catalog = vec![
            service("volumev3", &[("public", "One", "http://alias/v3/p")]),
            service(
                "block-storage",
                &[
                    ("public", "One", "http://one/v3/p"),
                    ("internal", "One", "http://one-internal/v3/p"),
                    ("public", "Two", "http://two/v3/p"),
                ],
            ),
        ];
        assert_eq!(
            block_storage_endpoint(&catalog, Some("Two"), "public")
                .unwrap()
                .url(),
            "http://two/v3/p"
        );
        assert_eq!(
            block_storage_endpoint(&catalog, Some("One"), "internal")
                .unwrap()
                .url(),
            "http://one-internal/v3/p"
        );
        let only_alias = vec![service(
            "volumev3",
            &[("public", "One", "http://alias/v3/p/")],
        )];
        assert_eq!(
            block_storage_endpoint(&only_alias, None, "public")
                .unwrap()
                .url(),
            "http://alias/v3/p"
        );
        let err = block_storage_endpoint(&catalog, Some("Three"), "public").unwrap_err();
        assert!(err.to_string().contains("region Three"), "{err}");
    }

    #[test]
    fn application_credentials_send_no_scope() {
        let auth = AuthConfig::ApplicationCredential {
            auth_url: "http://k".into(),
            credential: Named::Id("cred".into()),
            user: None,
            secret: SecretString::from("s3cret"),
        };
        let (_, body) = request_body(&auth).unwrap();
        assert!(body["auth"].get("scope").is_none());
        assert_eq!(
            body["auth"]["identity"]["application_credential"]["secret"],
            "s3cret"
        );
    }
}
