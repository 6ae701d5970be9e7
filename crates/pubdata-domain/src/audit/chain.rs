//! The SM3 hash chain over audit records, and its verification.
//!
//! The hash of an entry is SM3 over a domain tag, every content field in a fixed order (each
//! length-prefixed, with absent values distinct from empty ones) and the previous entry's hash.
//! Because the position (`seq`) is hashed too, renumbering is as visible as editing.

use super::entry::AuditRecord;
use serde::Serialize;
use sm3::{Digest, Sm3};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const DOMAIN_TAG: &[u8] = b"pubdata-audit-v1\0";

impl AuditRecord {
    pub fn compute_hash(&self) -> String {
        let number = |n: Option<i64>| n.map(|v| v.to_string());
        let fields: [Option<String>; 16] = [
            Some(self.seq.to_string()),
            Some(self.occurred_at.clone()),
            number(self.actor_user_id),
            Some(self.actor_username.clone()),
            number(self.actor_org_id),
            self.actor_role.clone(),
            number(self.token_id),
            self.source_ip.clone(),
            self.user_agent.clone(),
            self.request_id.clone(),
            Some(self.action.clone()),
            Some(self.object_type.clone()),
            self.object_id.clone(),
            Some(self.outcome.clone()),
            Some(self.summary.clone()),
            Some(self.prev_hash.clone()),
        ];
        let mut h = Sm3::new();
        h.update(DOMAIN_TAG);
        for field in &fields {
            match field {
                None => h.update([0u8]),
                Some(v) => {
                    h.update([1u8]);
                    h.update((v.len() as u32).to_be_bytes());
                    h.update(v.as_bytes());
                }
            }
        }
        hex::encode(h.finalize())
    }
}

/// Where and how the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The entry's content no longer matches its hash.
    Altered { position: i64 },
    /// Entries are missing: positions `position..=last_missing` are absent.
    Removed { position: i64, last_missing: i64 },
    /// The entry at `position` does not belong in the chain.
    Inserted { position: i64 },
    /// The entry at `position` does not link to the one before it: an entry was removed just
    /// before it (and the rest renumbered), or the previous entry was altered and re-hashed.
    Unlinked { position: i64 },
}

impl ChainBreak {
    pub fn position(&self) -> i64 {
        match self {
            ChainBreak::Altered { position }
            | ChainBreak::Removed { position, .. }
            | ChainBreak::Inserted { position }
            | ChainBreak::Unlinked { position } => *position,
        }
    }

    pub fn describe_zh(&self) -> String {
        match self {
            ChainBreak::Altered { position } => format!("第 {position} 条审计记录已被篡改（内容与哈希不符）"),
            ChainBreak::Removed { position, last_missing } if position == last_missing => {
                format!("第 {position} 条审计记录已被删除")
            }
            ChainBreak::Removed { position, last_missing } => {
                format!("第 {position} 至 {last_missing} 条审计记录已被删除")
            }
            ChainBreak::Inserted { position } => format!("第 {position} 条审计记录为插入的伪造记录"),
            ChainBreak::Unlinked { position } => {
                format!("第 {position} 条审计记录与前一条不衔接：其前有记录被删除，或前一条被篡改后重算了哈希")
            }
        }
    }

    pub fn describe_en(&self) -> String {
        match self {
            ChainBreak::Altered { position } => {
                format!("audit entry at position {position} was altered (its content does not match its hash)")
            }
            ChainBreak::Removed { position, last_missing } if position == last_missing => {
                format!("audit entry at position {position} was removed")
            }
            ChainBreak::Removed { position, last_missing } => {
                format!("audit entries at positions {position} to {last_missing} were removed")
            }
            ChainBreak::Inserted { position } => format!("audit entry at position {position} was inserted"),
            ChainBreak::Unlinked { position } => format!(
                "audit entry at position {position} does not link to the previous one: an entry before it was removed, or the previous entry was altered and re-hashed"
            ),
        }
    }
}

/// The result of a complete, successful verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
}

/// Walks records in position order, one at a time, so that chains of any length verify in
/// constant memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    before_prev_hash: Option<String>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier { expected_seq: 1, prev_hash: GENESIS_HASH.to_string(), before_prev_hash: None }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        if record.seq > self.expected_seq {
            return Err(ChainBreak::Removed { position: self.expected_seq, last_missing: record.seq - 1 });
        }
        if record.seq < self.expected_seq {
            return Err(ChainBreak::Inserted { position: record.seq });
        }
        if record.compute_hash() != record.hash {
            return Err(ChainBreak::Altered { position: record.seq });
        }
        if record.prev_hash != self.prev_hash {
            if self.before_prev_hash.as_deref() == Some(record.prev_hash.as_str()) {
                return Err(ChainBreak::Inserted { position: record.seq - 1 });
            }
            return Err(ChainBreak::Unlinked { position: record.seq });
        }
        self.before_prev_hash = Some(std::mem::replace(&mut self.prev_hash, record.hash.clone()));
        self.expected_seq += 1;
        Ok(())
    }

    /// Finishes against the stored head (the last position and hash the platform recorded),
    /// which catches entries removed from, or appended to, the end.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<ChainReport, ChainBreak> {
        let last = self.expected_seq - 1;
        if last < head_seq {
            return Err(ChainBreak::Removed { position: last + 1, last_missing: head_seq });
        }
        if last > head_seq {
            return Err(ChainBreak::Inserted { position: head_seq + 1 });
        }
        if self.prev_hash != head_hash {
            return Err(ChainBreak::Altered { position: last });
        }
        Ok(ChainReport { entries: last, head_seq, head_hash: self.prev_hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, events};

    fn chain(n: i64) -> Vec<AuditRecord> {
        let actor = Actor { username: "admin".into(), user_id: Some(1), ..Actor::default() };
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let event = events::calendar_day_removed("2026-10-10");
                let r = AuditRecord::seal(seq, format!("2026-01-01T00:00:00.{seq:06}Z"), &actor, &event, &prev);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], head: &AuditRecord) -> Result<ChainReport, ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in records {
            v.push(r)?;
        }
        v.finish(head.seq, &head.hash)
    }

    #[test]
    fn art_27_intact_chain_verifies() {
        let c = chain(5);
        let report = verify(&c, &c[4]).unwrap();
        assert_eq!(report.entries, 5);
    }

    #[test]
    fn art_27_altered_entry_is_found_by_position() {
        let mut c = chain(5);
        c[2].summary = "{\"date\":\"2026-10-11\"}".into();
        assert_eq!(verify(&c, &c[4].clone()), Err(ChainBreak::Altered { position: 3 }));
    }

    #[test]
    fn art_27_removed_entry_is_found_by_position() {
        let mut c = chain(5);
        let head = c[4].clone();
        c.remove(1);
        assert_eq!(verify(&c, &head), Err(ChainBreak::Removed { position: 2, last_missing: 2 }));
    }

    #[test]
    fn art_27_truncated_tail_is_found() {
        let c = chain(5);
        assert_eq!(verify(&c[..3], &c[4]), Err(ChainBreak::Removed { position: 4, last_missing: 5 }));
    }

    #[test]
    fn art_27_inserted_entry_is_found_even_when_rehashed() {
        // An attacker with database access inserts a forged entry at position 3, renumbers and
        // re-hashes everything after it.
        let original = chain(5);
        let actor = Actor { username: "intruder".into(), ..Actor::default() };
        let forged = AuditRecord::seal(
            3,
            "2026-01-01T00:00:00.000003Z".into(),
            &actor,
            &events::calendar_day_removed("x"),
            &original[1].hash,
        );
        let mut tampered = vec![original[0].clone(), original[1].clone(), forged];
        for r in &original[2..] {
            let mut moved = r.clone();
            moved.seq += 1;
            // Keeps its old prev_hash (linking to original[1]) but gets a valid own hash.
            moved.hash = moved.compute_hash();
            tampered.push(moved);
        }
        let head = tampered.last().unwrap().clone();
        assert_eq!(verify(&tampered, &head), Err(ChainBreak::Inserted { position: 3 }));
    }

    #[test]
    fn art_27_appended_forgery_beyond_the_head_is_found() {
        let c = chain(5);
        assert_eq!(verify(&c, &c[3]), Err(ChainBreak::Inserted { position: 5 }));
    }

    #[test]
    fn absent_and_empty_values_hash_differently() {
        let mut a = chain(1).remove(0);
        let h1 = a.compute_hash();
        a.object_id = Some(String::new());
        assert_ne!(h1, a.compute_hash());
    }
}
