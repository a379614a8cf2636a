//! Whether an object already holds everything we would apply to it. Server-side apply of a
//! configuration the object already contains changes nothing, so such an apply is skipped: at
//! steady state the controller writes nothing.

use serde_json::Value;

/// Whether every field of `desired` is in `existing` with the same value. Objects are compared
/// key by key (extra keys in `existing` are someone else's); lists and scalars must be equal.
pub fn contains(existing: &Value, desired: &Value) -> bool {
    match (existing, desired) {
        (Value::Object(existing), Value::Object(desired)) => desired
            .iter()
            .all(|(key, want)| existing.get(key).is_some_and(|have| contains(have, want))),
        (existing, desired) => existing == desired,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::contains;

    #[test]
    fn object_with_extra_fields_contains_the_desired_ones() {
        let existing = json!({"spec": {"a": 1, "b": {"c": "x", "d": true}}, "status": {}});
        assert!(contains(&existing, &json!({"spec": {"b": {"c": "x"}}})));
        assert!(contains(&existing, &json!({})));
    }

    #[test]
    fn changed_or_missing_fields_are_differences() {
        let existing = json!({"spec": {"replicas": 1, "list": [1, 2]}});
        assert!(!contains(&existing, &json!({"spec": {"replicas": 3}})));
        assert!(!contains(&existing, &json!({"spec": {"version": "v1"}})));
        assert!(!contains(&existing, &json!({"spec": {"list": [1]}})));
        assert!(!contains(&json!(null), &json!({"spec": {}})));
    }
}
