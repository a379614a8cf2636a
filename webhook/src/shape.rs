//! Reading a review for its shape before anything of it is decoded: how many JSON values it
//! holds (decoding costs memory per value as well as per byte), and whether its objects are
//! valid JSON objects, without keeping any of it.

use serde::Deserialize;

/// Most JSON values (scalars, arrays and objects, nested ones included) a review may hold.
/// Real reviews hold a few hundred to a few thousand (most of them in `managedFields`); decoding
/// costs memory per value as well as per byte, and this bounds the first.
pub const MAX_VALUES: usize = 100_000;

/// Whether `body` holds more than `max` JSON values, counted by the separators (`,` and `:`)
/// outside strings: every element of an array or an object but the first has one. (A nesting
/// without separators costs nothing when skipped and stops at the parser's recursion limit when
/// decoded.) One pass, no allocation.
pub fn exceeds_values(body: &[u8], max: usize) -> bool {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b':' => {
                count += 1;
                if count > max {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// An object of a review read for its shape only: a JSON object (or null), valid throughout
/// (its strings UTF-8, its nesting within the parser's limit), kept nowhere. The first look at
/// a review reads its objects as this, so that a body that is not a review is refused as such
/// whatever the rules would read of it.
#[derive(Debug)]
pub struct CheckedObject;

impl<'de> Deserialize<'de> for CheckedObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = CheckedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CheckedObject, A::Error> {
                while map.next_key::<Checked>()?.is_some() {
                    map.next_value::<Checked>()?;
                }
                Ok(CheckedObject)
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// Any JSON value, read for validity and kept nowhere (unlike [`IgnoredAny`], which skips
/// strings without checking that they are UTF-8). Strings without escapes are borrowed from the
/// body, so nothing is allocated.
///
/// [`IgnoredAny`]: serde::de::IgnoredAny
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_key::<Checked>()?.is_some() {
            map.next_value::<Checked>()?;
        }
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_outside_strings_only() {
        assert!(!exceeds_values(br#"{"a": [1, 2, 3]}"#, 3));
        assert!(exceeds_values(br#"{"a": [1, 2, 3, 4]}"#, 3));
        // Separators inside strings, escaped quotes included, are text.
        assert!(!exceeds_values(br#"{"a": "x,y:z\",,,"}"#, 1));
    }

    #[test]
    fn objects_are_checked_for_utf8_but_kept_nowhere() {
        assert!(serde_json::from_slice::<CheckedObject>(br#"{"a": ["b", {"c": 1}]}"#).is_ok());
        assert!(serde_json::from_slice::<CheckedObject>(b"{\"a\": \"\xff\"}").is_err());
        assert!(serde_json::from_slice::<CheckedObject>(br#""not an object""#).is_err());
    }
}
