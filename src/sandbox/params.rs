//! Request parameters from JSON, urlencoded or multipart bodies (and the query string), plus Bot API errors.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// A Bot API error: HTTP status = `code`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiErr {
    pub code: u16,
    pub description: String,
    pub parameters: Option<Value>,
}

impl ApiErr {
    pub fn new(code: u16, description: impl Into<String>) -> ApiErr {
        ApiErr {
            code,
            description: description.into(),
            parameters: None,
        }
    }
    pub fn bad(detail: impl AsRef<str>) -> ApiErr {
        ApiErr::new(400, format!("Bad Request: {}", detail.as_ref()))
    }
    pub fn forbidden(detail: impl AsRef<str>) -> ApiErr {
        ApiErr::new(403, format!("Forbidden: {}", detail.as_ref()))
    }
    pub fn retry_after(secs: u32) -> ApiErr {
        ApiErr {
            code: 429,
            description: format!("Too Many Requests: retry after {secs}"),
            parameters: Some(json!({"retry_after": secs})),
        }
    }
    pub fn body(&self) -> Value {
        let mut v = json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(p) = &self.parameters {
            v["parameters"] = p.clone();
        }
        v
    }
}

/// An uploaded file part.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub file_name: String,
    pub size: u64,
    pub content_type: Option<String>,
    pub data: std::sync::Arc<[u8]>,
}

/// Parameters of one call. Form encodings deliver every value as a string.
#[derive(Default, Debug)]
pub(crate) struct Params {
    pub fields: Map<String, Value>,
    pub files: HashMap<String, Upload>,
}

impl Params {
    /// Parses a request body according to its content type, merged over query-string parameters.
    pub fn parse(content_type: &str, query: Option<&str>, body: &[u8]) -> Result<Params, ApiErr> {
        let mut p = Params::default();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            p.fields
                .insert(k.into_owned(), Value::String(v.into_owned()));
        }
        let ct = content_type.to_ascii_lowercase();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(p);
        }
        if ct.starts_with("application/json") {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => p.fields.extend(m),
                _ => return Err(ApiErr::bad("invalid JSON in request body")),
            }
        } else if ct.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in url::form_urlencoded::parse(body) {
                p.fields
                    .insert(k.into_owned(), Value::String(v.into_owned()));
            }
        } else if ct.starts_with("multipart/form-data") {
            let boundary = content_type
                .split(';')
                .filter_map(|s| s.trim().strip_prefix("boundary="))
                .next()
                .map(|b| b.trim_matches('"').to_string())
                .ok_or_else(|| ApiErr::bad("multipart boundary is missing"))?;
            for part in super::multipart::parse(body, &boundary) {
                match part.file_name {
                    Some(file_name) => {
                        let up = Upload {
                            file_name,
                            size: part.data.len() as u64,
                            content_type: part.content_type,
                            data: part.data.into(),
                        };
                        p.files.insert(part.name, up);
                    }
                    None => {
                        let text = String::from_utf8_lossy(&part.data).into_owned();
                        p.fields.insert(part.name, Value::String(text));
                    }
                }
            }
        }
        Ok(p)
    }

    /// A string parameter; numbers and booleans are rendered as strings.
    pub fn str(&self, k: &str) -> Option<String> {
        match self.fields.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }

    /// An integer parameter; `Ok(None)` when absent.
    pub fn i64(&self, k: &str) -> Result<Option<i64>, ApiErr> {
        match self.fields.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad_field(k)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad_field(k)),
            Some(_) => Err(bad_field(k)),
        }
    }

    pub fn bool(&self, k: &str) -> bool {
        match self.fields.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// An object/array parameter, given either as JSON or as a JSON string (form encodings).
    pub fn json(&self, k: &str) -> Result<Option<Value>, ApiErr> {
        match self.fields.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| bad_json(k)),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// The target chat: an integer id. `@username` strings resolve to nothing ("chat not found").
    pub fn chat_id(&self) -> Result<i64, ApiErr> {
        match self.fields.get("chat_id") {
            None | Some(Value::Null) => Err(ApiErr::bad("chat_id is empty")),
            Some(Value::String(s)) if s.trim().is_empty() => Err(ApiErr::bad("chat_id is empty")),
            _ => self
                .i64("chat_id")?
                .ok_or_else(|| ApiErr::bad("chat not found")),
        }
    }

    /// Best-effort chat id for fault filters.
    pub fn chat_hint(&self) -> Option<i64> {
        self.i64("chat_id").ok().flatten()
    }
}

fn bad_field(k: &str) -> ApiErr {
    if k == "chat_id" {
        return ApiErr::bad("chat not found");
    }
    ApiErr::bad(format!("invalid {k} specified"))
}

fn bad_json(k: &str) -> ApiErr {
    match k {
        "reply_markup" => ApiErr::bad("can't parse reply keyboard markup JSON object"),
        "reply_parameters" => ApiErr::bad("can't parse reply parameters JSON object"),
        _ => ApiErr::bad(format!("can't parse {k} JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_and_query() {
        let p = Params::parse(
            "application/json",
            Some("x=1"),
            br#"{"chat_id":-5,"text":"hi"}"#,
        )
        .unwrap();
        assert_eq!(p.chat_id().unwrap(), -5);
        assert_eq!(p.str("text").as_deref(), Some("hi"));
        assert_eq!(p.i64("x").unwrap(), Some(1));
        let p = Params::parse(
            "application/x-www-form-urlencoded",
            None,
            b"chat_id=-100123&reply_markup=%7B%22inline_keyboard%22%3A%5B%5D%7D&disable_notification=true",
        )
        .unwrap();
        assert_eq!(p.chat_id().unwrap(), -100123);
        assert_eq!(
            p.json("reply_markup").unwrap(),
            Some(json!({"inline_keyboard": []}))
        );
        assert!(p.bool("disable_notification"));
        let p = Params::parse("application/json", None, br#"{"chat_id":"@name"}"#).unwrap();
        assert_eq!(
            p.chat_id().unwrap_err().description,
            "Bad Request: chat not found"
        );
        let p = Params::parse("application/json", None, b"").unwrap();
        assert_eq!(
            p.chat_id().unwrap_err().description,
            "Bad Request: chat_id is empty"
        );
    }

    #[test]
    fn error_body() {
        assert_eq!(
            ApiErr::retry_after(3).body(),
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3",
                   "parameters": {"retry_after": 3}})
        );
        assert_eq!(
            ApiErr::forbidden("x").body(),
            json!({"ok": false, "error_code": 403, "description": "Forbidden: x"})
        );
    }
}
