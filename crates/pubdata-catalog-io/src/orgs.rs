//! The provider agencies a file may name: names as users type them ↔ ids as the store keeps them.

use std::collections::HashMap;

/// Agency names ↔ ids. Files name the providing agency (提供单位) by its name; documents carry
/// its id. Names are compared after trimming; a name two agencies share matches neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgDirectory {
    orgs: Vec<(i64, String)>,
    by_name: HashMap<String, Vec<i64>>,
}

impl OrgDirectory {
    pub fn new(orgs: Vec<(i64, String)>) -> OrgDirectory {
        let orgs: Vec<(i64, String)> = orgs.into_iter().map(|(id, name)| (id, name.trim().to_string())).collect();
        let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, name) in &orgs {
            let ids = by_name.entry(name.clone()).or_default();
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        OrgDirectory { orgs, by_name }
    }

    /// The id of the agency with this name, when exactly one has it.
    pub fn id_of(&self, name: &str) -> Option<i64> {
        match self.by_name.get(name.trim()).map(Vec::as_slice) {
            Some([id]) => Some(*id),
            _ => None,
        }
    }

    /// Whether more than one agency has this name.
    pub fn is_ambiguous(&self, name: &str) -> bool {
        self.by_name.get(name.trim()).is_some_and(|ids| ids.len() > 1)
    }

    pub fn name_of(&self, id: i64) -> Option<&str> {
        self.orgs.iter().find(|(i, _)| *i == id).map(|(_, name)| name.as_str())
    }

    /// The names in the order given, each once.
    pub fn names(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.orgs.iter().map(|(_, n)| n.as_str()).filter(|n| seen.insert(*n)).collect()
    }

    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }
}

impl From<Vec<(i64, String)>> for OrgDirectory {
    fn from(orgs: Vec<(i64, String)>) -> OrgDirectory {
        OrgDirectory::new(orgs)
    }
}
