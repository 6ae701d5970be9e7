//! What can go wrong: a file that cannot be read at all ([`FileProblem`]), a row that cannot be
//! imported ([`RowProblem`]), and writing a workbook ([`IoError`]).

use pubdata_domain::Text;
use serde::Serialize;

/// Something wrong with the file as a whole, so that no row can be read: not an xlsx file, a
/// missing sheet, wrong headers, merged cells or formulas, undecodable bytes. Names the place
/// when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct FileProblem {
    pub sheet: Option<String>,
    /// 1-based, as Excel shows it (the line number in a CSV file).
    pub row: Option<usize>,
    /// The column's Chinese header when known, else its letter.
    pub column: Option<String>,
    pub message: Text,
}

impl FileProblem {
    pub(crate) fn new(zh: impl Into<String>, en: impl Into<String>) -> FileProblem {
        FileProblem { sheet: None, row: None, column: None, message: Text::new(zh.into(), en.into()) }
    }

    pub(crate) fn in_sheet(mut self, sheet: &str) -> FileProblem {
        self.sheet = Some(sheet.to_string());
        self
    }

    pub(crate) fn at_row(mut self, row: usize) -> FileProblem {
        self.row = Some(row);
        self
    }

    pub(crate) fn at_column(mut self, column: impl Into<String>) -> FileProblem {
        self.column = Some(column.into());
        self
    }

    /// Where, then what, in both languages: for logs and terminals.
    pub fn describe(&self) -> String {
        let mut place_zh = String::new();
        let mut place_en = Vec::new();
        if let Some(sheet) = &self.sheet {
            place_zh.push_str(&format!("工作表“{sheet}”"));
            place_en.push(format!("sheet {sheet:?}"));
        }
        if let Some(row) = self.row {
            place_zh.push_str(&format!("第 {row} 行"));
            place_en.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            place_zh.push_str(&format!("“{column}”列"));
            place_en.push(format!("column {column:?}"));
        }
        if place_en.is_empty() {
            self.message.both()
        } else {
            format!("{place_zh}：{} / {}: {}", self.message.zh, place_en.join(", "), self.message.en)
        }
    }
}

/// One problem with one cell (or row) of an import file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub sheet: String,
    /// 1-based, as Excel shows it (the line number in a CSV file).
    pub row: usize,
    /// The column's Chinese header, as in the file.
    pub column: String,
    pub message: Text,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "工作表“{}”第 {} 行“{}”列：{} / sheet {:?}, row {}, column {:?}: {}",
            self.sheet, self.row, self.column, self.message.zh, self.sheet, self.row, self.column, self.message.en
        )
    }
}

/// Writing a workbook failed (a limit of the xlsx format or of the writer was reached).
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("writing the workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl IoError {
    /// The message for users, in both languages.
    pub fn message(&self) -> Text {
        match self {
            IoError::Xlsx(e) => {
                Text::new(format!("生成 Excel 文件失败：{e}"), format!("writing the Excel file failed: {e}"))
            }
        }
    }
}
