//! Bilingual text: every message a user may read exists in Simplified Chinese and English.

use serde::Serialize;
use std::borrow::Cow;

/// A message in Simplified Chinese (shown first) and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Text {
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Text { zh: zh.into(), en: en.into() }
    }

    /// Both languages on one line, Chinese first: for logs and terminals.
    pub fn both(&self) -> String {
        format!("{} / {}", self.zh, self.en)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.both())
    }
}
