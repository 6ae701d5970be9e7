//! Personal-information detection (Art.10 of the Yinzhou Public Data Measures: collect only what
//! is needed, protect personal information).
//!
//! When an agency delivers a batch of rows for a catalogued resource, every column is scanned
//! with a [`ColumnDetector`] and gets a detected [`PiiKind`] with a confidence; the platform then
//! proposes a classification level for the data item and flags items declared lower than the
//! detection suggests ([`Detection::review_level`]). The same validators ([`validate`]) check
//! identifier formats on import.
//!
//! ```
//! use pubdata_pii::{ColumnDetector, PiiKind, validate};
//!
//! let mut column = ColumnDetector::new("法人代表");
//! for value in ["陈军富", "N/A", "王芳", "李晓峰", "N/A"] {
//!     column.observe(value);
//! }
//! let detection = column.finish();
//! assert_eq!(detection.kind, Some(PiiKind::PersonName));
//! assert_eq!(detection.values_empty, 2);
//! assert!(detection.review_level(1).under_declared); // names are proposed L2
//!
//! assert!(validate::credit_code("91350100M000100Y43").is_ok());
//! let err = validate::credit_code("91350100M000100Y44").unwrap_err();
//! assert_eq!(err.reason_zh(), "校验码错误，应为 3");
//! ```
//!
//! # Classification levels
//!
//! Levels follow the Zhejiang public data classification and grading guide (DB33/T 2351-2021):
//! L1 public, L2 low sensitivity, L3 medium sensitivity, L4 high sensitivity. A column's proposed
//! level is that of its detected kind ([`PiiKind::proposed_level`]); a column without a detection
//! is proposed L1, to be raised by the agency on other grounds.
//!
//! | kind | level | reason |
//! | --- | --- | --- |
//! | bank card number 银行卡号 | L4 | financial account, sensitive personal information under PIPL Art. 28; disclosure leads directly to financial loss |
//! | identity number 身份证号 | L3 | unique lifelong identifier that links a person across every government system, and encodes birth date, sex and place of registration |
//! | passport number 护照号 | L3 | identity document number, same reasoning as the identity number |
//! | mobile number 手机号 | L3 | directly reaches the person, is the key to most online accounts and real-name registration, and is the main vector of telecom fraud |
//! | person's name 姓名 | L2 | identifies a person only together with other data; names of legal representatives are published in the enterprise credit registries |
//! | address 地址 | L2 | identifies a person only together with a name; registered addresses of enterprises are public |
//! | e-mail 电子邮箱 | L2 | contact detail, usually not a real-name identifier |
//! | licence plate 车牌号 | L2 | linkable to a vehicle owner only through the traffic authority |
//! | landline 固定电话 | L2 | usually an office or household line, not an individual's |
//! | birth date 出生日期 | L2 | quasi-identifier: identifies only in combination |
//! | credit code 统一社会信用代码 | L1 | identifies an organisation, not a person, and is public in the national enterprise credit registry |
//!
//! Reviewers should consider raising a resource that combines several kinds (for example names
//! with identity numbers and bank cards) above the highest single level; [`proposed_level_for`]
//! deliberately reports only the highest single level.
//!
//! # Measuring
//!
//! [`evaluation::labeled_columns`] builds a labelled set (the real 2002 Zhejiang enterprise
//! registrations when given, plus generated columns and hard look-alikes) and
//! [`evaluation::evaluate`] measures precision and recall per kind. Throughput of
//! [`ColumnDetector::observe`] is measured with
//! `cargo run --release -p pubdata-pii --example pii_bench [-- path/to/zj-enterprise-2002.csv]`,
//! which reports megabytes of value text per second on one thread over
//! [`evaluation::throughput_corpus`].

mod detect;
pub mod evaluation;
mod header;
mod kind;
mod lexicon;
pub mod validate;

pub use detect::{
    Candidate, ColumnDetector, DETECTION_THRESHOLD, Detection, LevelReview, address_like, detect_column,
    person_name_like, proposed_level_for,
};
pub use header::HeaderHint;
pub use kind::PiiKind;
