//! Catalog import and export (Art.7): the Excel and CSV templates agencies fill in, reading them
//! back into [`ResourceDocument`]s with every problem located by sheet, row and column, error
//! reports users can correct and re-import, the export of a catalog in the same layout, and a
//! DCAT-AP JSON-LD feed for data portals.
//!
//! Everything here is a pure function over bytes and domain types: no database, no HTTP, no
//! async. Callers resolve agencies through an [`OrgDirectory`] they build from the store.
//!
//! Layout (see [`layout`]): sheet 资源 holds one row per resource, sheet 数据项 one row per data
//! item, linked by 序号 / 资源序号; sheet 填写说明 explains every column and lists the allowed
//! values. Row 1 holds the Chinese headers, which are what import matches (in any order); row 2
//! holds the English field names and is skipped on import when present. The CSV variant is flat:
//! one line per data item, the resource columns repeated.

mod assemble;
mod csv_in;
mod dcat;
mod error;
pub mod layout;
mod orgs;
mod text;
mod xlsx_in;
mod xlsx_out;

pub use csv_in::{parse_csv, template_csv};
pub use dcat::{DcatCatalog, DcatResource, access_right_uri, dcat_jsonld, frequency_uri};
pub use error::{FileProblem, IoError, RowProblem};
pub use orgs::OrgDirectory;
pub use xlsx_in::parse_xlsx;
pub use xlsx_out::{ExportRow, error_report_xlsx, export_xlsx, template_xlsx};

use pubdata_domain::catalog::ResourceDocument;
use serde::Serialize;

/// One resource read from an import file: its key (序号), where it is, and either the document
/// (when nothing is wrong) or everything that is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedResource {
    /// The 序号 that links the resource to its data items.
    pub key: String,
    /// The resource's row as Excel shows it (1-based) on sheet 资源, or its first line in a CSV
    /// file. 0 for the placeholder that collects data items whose 资源序号 matches no resource.
    pub sheet_row: usize,
    /// `Some` exactly when `problems` is empty.
    pub document: Option<ResourceDocument>,
    pub problems: Vec<RowProblem>,
    /// The cells as the user typed them: the resource row, then its item rows (xlsx), or the
    /// resource's lines (CSV). Error reports are written from these.
    pub raw: Vec<RawRow>,
}

impl ParsedResource {
    pub fn is_ok(&self) -> bool {
        self.document.is_some()
    }
}

/// One row of an import file as text, its cells in the order of the sheet's columns in
/// [`layout`] ([`layout::RESOURCE_COLUMNS`], [`layout::ITEM_COLUMNS`] or
/// [`layout::csv_columns`]), whatever order the file had them in; absent optional columns are
/// empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawRow {
    /// [`layout::RESOURCE_SHEET`], [`layout::ITEM_SHEET`] or [`layout::CSV_SHEET`].
    pub sheet: String,
    /// 1-based, as Excel shows it (the line number in a CSV file).
    pub row: usize,
    pub cells: Vec<String>,
}
