//! Numeric ids as people write them: `#12` (a case), `A17` (an alert), `S3`
//! (a recurring alert), or bare digits.
//!
//! Digits beyond any id (more than an `i64` holds) name no record: the user
//! is told there is no such id, the same answer as for a missing one, rather
//! than that it is not an id.

/// What a word is, read as an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdWord {
    /// An id that may exist.
    Id(i64),
    /// Digits too large for any id: no such record.
    Beyond,
    /// Not an id at all (empty, not digits, zero).
    NotAnId,
}

/// Reads `raw` (trimmed) as digits after an optional one of `prefixes`.
pub fn read_id(raw: &str, prefixes: &[char]) -> IdWord {
    let raw = raw.trim();
    let digits = raw.strip_prefix(prefixes).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return IdWord::NotAnId;
    }
    match digits.parse::<i64>() {
        Ok(0) => IdWord::NotAnId,
        Ok(n) => IdWord::Id(n),
        Err(_) => IdWord::Beyond,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_beyond_i64_name_nothing() {
        assert_eq!(read_id("#12", &['#']), IdWord::Id(12));
        assert_eq!(read_id(" 12 ", &['#']), IdWord::Id(12));
        assert_eq!(read_id("9223372036854775807", &[]), IdWord::Id(i64::MAX));
        assert_eq!(read_id("#9223372036854775808", &['#']), IdWord::Beyond);
        assert_eq!(
            read_id("A99999999999999999999999", &['A', 'a']),
            IdWord::Beyond
        );
        for bad in [
            "", "#", "0", "#000", "-3", "+3", "12a", "##1", "１２", "A#1",
        ] {
            assert_eq!(read_id(bad, &['#', 'A']), IdWord::NotAnId, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn read_id_is_total(raw in prop_oneof![
            "\\PC{0,40}",
            "[#AaSs]?[+-]?[0-9]{0,40}",
        ]) {
            match read_id(&raw, &['#', 'A', 'a', 'S', 's']) {
                IdWord::Id(n) => prop_assert!(n > 0),
                IdWord::Beyond => prop_assert!(raw.trim().len() > 19),
                IdWord::NotAnId => {}
            }
        }

        #[test]
        fn every_positive_id_reads_back(n in 1i64..=i64::MAX) {
            prop_assert_eq!(read_id(&format!("#{n}"), &['#']), IdWord::Id(n));
        }
    }
}
