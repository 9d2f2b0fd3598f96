//! CSV input: a column mapping (TOML) turns each row into a `consortium.application/1.x`
//! record, which then goes through the same validation as NDJSON.
//!
//! ```toml
//! [constants]                     # JSON pointer = value, set on every record
//! "/schema" = "consortium.application/1.0"
//! "/channel" = "BATCH"
//! [columns]                       # CSV header = JSON pointer (strings), or a table with a type
//! message_id = "/message_id"
//! given = "/application/applicants/0/name/given"
//! term = { pointer = "/application/product/term_months", type = "integer" }
//! ```
//! Empty cells are omitted. Array indices in pointers create arrays. Values keep their exact
//! text: integers are written as JSON numbers from the digits, never through a float.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Code, Rejection};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    #[serde(default)]
    pub constants: BTreeMap<String, toml::Value>,
    pub columns: BTreeMap<String, ColumnSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    Pointer(String),
    Typed {
        pointer: String,
        #[serde(rename = "type", default)]
        kind: ColumnType,
    },
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    #[default]
    String,
    Integer,
    Boolean,
}

/// The mapping resolved against a header row: column index → (pointer segments, type).
pub struct Plan {
    columns: Vec<(usize, Vec<String>, ColumnType)>,
    constants: Vec<(Vec<String>, serde_json::Value)>,
}

fn segments(pointer: &str) -> Result<Vec<String>, String> {
    let rest = pointer.strip_prefix('/').ok_or_else(|| format!("pointer {pointer:?} must start with '/'"))?;
    Ok(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

impl CsvMapping {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Resolve column names against the header row.
    pub fn plan(&self, headers: &csv::ByteRecord) -> Result<Plan, String> {
        let mut columns = Vec::new();
        for (name, spec) in &self.columns {
            let idx = headers
                .iter()
                .position(|h| h == name.as_bytes())
                .ok_or_else(|| format!("column {name:?} named in the mapping is not in the CSV header"))?;
            let (ptr, kind) = match spec {
                ColumnSpec::Pointer(p) => (p, ColumnType::String),
                ColumnSpec::Typed { pointer, kind } => (pointer, *kind),
            };
            columns.push((idx, segments(ptr)?, kind));
        }
        let mut constants = Vec::new();
        for (ptr, v) in &self.constants {
            let json = serde_json::to_value(v).map_err(|e| format!("constant {ptr}: {e}"))?;
            constants.push((segments(ptr)?, json));
        }
        Ok(Plan { columns, constants })
    }

    /// Build the JSON record for one row. Cells must be UTF-8.
    pub fn to_json(&self, plan: &Plan, row: &csv::ByteRecord) -> Result<Vec<u8>, Rejection> {
        let mut root = serde_json::Value::Object(serde_json::Map::new());
        for (segs, v) in &plan.constants {
            set(&mut root, segs, v.clone());
        }
        for (idx, segs, kind) in &plan.columns {
            let Some(cell) = row.get(*idx) else { continue };
            if cell.is_empty() {
                continue;
            }
            let pointer = format!("/{}", segs.join("/"));
            let text = std::str::from_utf8(cell).map_err(|e| {
                Rejection::one(
                    Code::InvalidUtf8,
                    &pointer,
                    format!("cell bytes at offset {} are not valid UTF-8", e.valid_up_to()),
                )
            })?;
            let value = match kind {
                ColumnType::String => serde_json::Value::String(text.to_string()),
                ColumnType::Integer => match text.trim().parse::<u64>() {
                    Ok(n) => serde_json::Value::Number(n.into()),
                    Err(_) => serde_json::Value::String(text.to_string()),
                },
                ColumnType::Boolean => match text.trim() {
                    "true" | "TRUE" | "1" => serde_json::Value::Bool(true),
                    "false" | "FALSE" | "0" => serde_json::Value::Bool(false),
                    _ => serde_json::Value::String(text.to_string()),
                },
            };
            set(&mut root, segs, value);
        }
        serde_json::to_vec(&root).map_err(|_| Rejection::one(Code::ParseError, "", "row could not be encoded"))
    }
}

fn set(root: &mut serde_json::Value, segs: &[String], value: serde_json::Value) {
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let next_is_index = segs.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
        let fresh = || {
            if next_is_index {
                serde_json::Value::Array(Vec::new())
            } else {
                serde_json::Value::Object(serde_json::Map::new())
            }
        };
        cur = match cur {
            serde_json::Value::Array(a) => {
                let Ok(ix) = seg.parse::<usize>() else { return };
                while a.len() <= ix {
                    a.push(serde_json::Value::Null);
                }
                if last {
                    a[ix] = value;
                    return;
                }
                if a[ix].is_null() {
                    a[ix] = fresh();
                }
                &mut a[ix]
            }
            serde_json::Value::Object(m) => {
                if last {
                    m.insert(seg.clone(), value);
                    return;
                }
                m.entry(seg.clone()).or_insert_with(fresh)
            }
            _ => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_columns_to_nested_records() {
        let m: CsvMapping = toml::from_str(
            r#"
            [constants]
            "/schema" = "consortium.application/1.0"
            [columns]
            given = "/application/applicants/0/name/given"
            phone = "/application/applicants/0/phones/0/number"
            term = { pointer = "/application/product/term_months", type = "integer" }
            "#,
        )
        .unwrap();
        let headers = csv::ByteRecord::from(vec!["term", "given", "phone"]);
        let plan = m.plan(&headers).unwrap();
        let row = csv::ByteRecord::from(vec!["12345678901234567891", "Zoé", ""]);
        let json = String::from_utf8(m.to_json(&plan, &row).unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"schema":"consortium.application/1.0","application":{"applicants":[{"name":{"given":"Zoé"}}],"product":{"term_months":12345678901234567891}}}"#
        );
        let missing = csv::ByteRecord::from(vec!["term"]);
        assert!(m.plan(&missing).is_err());
    }
}
