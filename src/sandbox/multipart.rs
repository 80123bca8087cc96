//! A small `multipart/form-data` parser (RFC 7578), enough for what Bot API clients send.

pub(crate) struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Value of `key="..."` (with backslash escapes) or `key*=utf-8''percent-encoded` in a header.
fn param(header: &str, key: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(key) {
        let before_ok = i == 0 || matches!(rest.as_bytes()[i - 1], b' ' | b';' | b'\t');
        let after = &rest[i + key.len()..];
        if before_ok {
            if let Some(v) = after.strip_prefix("=\"") {
                let mut out = String::new();
                let mut chars = v.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => return Some(out),
                        c => out.push(c),
                    }
                }
                return Some(out);
            }
            if let Some(v) = after.strip_prefix("*=") {
                let v = v.split(';').next().unwrap_or("").trim();
                let enc = v.split("''").nth(1).unwrap_or(v);
                let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={enc}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned().into_bytes())
                    .unwrap_or_default();
                return Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            if let Some(v) = after.strip_prefix('=') {
                return Some(v.split(';').next().unwrap_or("").trim().to_string());
            }
        }
        rest = after;
    }
    None
}

/// Splits a body into parts; malformed parts are skipped.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Vec<Part> {
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut pos) = find(body, &delim, 0) else {
        return parts;
    };
    loop {
        let start = pos + delim.len();
        if body[start..].starts_with(b"--") {
            break;
        }
        let Some(next) = find(body, &delim, start) else {
            break;
        };
        let section = &body[start..next];
        let section = section.strip_prefix(b"\r\n").unwrap_or(section);
        let section = section.strip_suffix(b"\r\n").unwrap_or(section);
        if let Some(split) = find(section, b"\r\n\r\n", 0) {
            let headers = String::from_utf8_lossy(&section[..split]);
            let data = section[split + 4..].to_vec();
            let mut name = None;
            let mut file_name = None;
            let mut content_type = None;
            for line in headers.split("\r\n") {
                let Some((h, v)) = line.split_once(':') else {
                    continue;
                };
                match h.trim().to_ascii_lowercase().as_str() {
                    "content-disposition" => {
                        name = param(v, "name");
                        file_name = param(v, "filename");
                    }
                    "content-type" => content_type = Some(v.trim().to_string()),
                    _ => {}
                }
            }
            if let Some(name) = name {
                parts.push(Part {
                    name,
                    file_name,
                    content_type,
                    data,
                });
            }
        }
        pos = next;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n-42\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\xe5\xb9\xb3 \\\"a\\\".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\x00\x01\r\n\x02\r\n\
--XyZ\r\nContent-Disposition: form-data; name*=utf-8''caption%E2%9C%93\r\n\r\nhi\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "chat_id");
        assert_eq!(parts[0].data, b"-42");
        assert_eq!(parts[0].file_name, None);
        assert_eq!(parts[1].name, "photo");
        assert_eq!(parts[1].file_name.as_deref(), Some("平 \"a\".jpg"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[1].data, b"\x00\x01\r\n\x02");
        assert_eq!(parts[2].name, "caption✓");
        assert_eq!(parts[2].data, b"hi");
    }
}
