//! Syntax check of Kubernetes resource quantities (`5Gi`, `500M`, `1e3`), enough to reject a
//! typo before the API server or the operator meets it.

/// Whether `value` is a positive Kubernetes quantity with a known suffix.
pub fn is_positive_quantity(value: &str) -> bool {
    const SUFFIXES: [&str; 13] = [
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", "",
    ];
    let digits_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.matches('.').count() <= 1
        && number != "."
        && number.parse::<f64>().is_ok_and(|n| n > 0.0);
    let suffix_ok = SUFFIXES.contains(&suffix) || is_exponent(suffix);
    number_ok && suffix_ok
}

fn is_exponent(suffix: &str) -> bool {
    let Some(rest) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::is_positive_quantity;

    #[test]
    fn accepts_binary_decimal_and_exponent_quantities() {
        for ok in ["5Gi", "500M", "1", "1.5Gi", "1e3", "2E+2", "10k"] {
            assert!(is_positive_quantity(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_typos_zero_and_negative() {
        for bad in [
            "", "Gi", "5GB", "5 Gi", "-1Gi", "0", "0Gi", "1.2.3Gi", "five", "5gi", ".",
        ] {
            assert!(!is_positive_quantity(bad), "{bad}");
        }
    }
}
