//! The catalog as DCAT-AP JSON-LD, for data portals that harvest catalogs (the provincial
//! portal, data.gov-style aggregators): one `dcat:Catalog` with a `dcat:Dataset` per resource.
//!
//! Controlled vocabularies are the EU Publications Office's authority tables (frequency,
//! access-right, file-type, language); the data items are described with CSVW's table schema.

use pubdata_domain::catalog::{Category, Delivery, ItemType, OpenAttribute, ResourceDocument, UpdateCycle};
use serde_json::{Map, Value, json};

/// The catalog's own description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DcatCatalog {
    pub title: String,
    pub description: String,
    /// The body that publishes the catalog (the district authority).
    pub publisher: String,
    pub homepage: String,
    /// Dates (`2026-01-31`) or instants (`2026-01-31T08:00:00.000000Z`).
    pub issued: String,
    pub modified: String,
}

/// One resource as the portal lists it: its public URI, version and dates, and who provides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DcatResource {
    pub id: i64,
    /// The resource's public page (its `@id` and landing page).
    pub uri: String,
    pub version: i64,
    pub issued: String,
    pub modified: String,
    pub provider_name: String,
    pub document: ResourceDocument,
}

const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const MEDIA_TYPE: &str = "https://www.iana.org/assignments/media-types/";
const CHINESE: &str = "http://publications.europa.eu/resource/authority/language/ZHO";

/// The EU frequency vocabulary's term for an update cycle.
pub fn frequency_uri(cycle: UpdateCycle) -> String {
    let term = match cycle {
        UpdateCycle::Realtime => "CONT",
        UpdateCycle::Daily => "DAILY",
        UpdateCycle::Weekly => "WEEKLY",
        UpdateCycle::Monthly => "MONTHLY",
        UpdateCycle::Quarterly => "QUARTERLY",
        UpdateCycle::HalfYearly => "ANNUAL_2",
        UpdateCycle::Yearly => "ANNUAL",
        UpdateCycle::Irregular => "IRREG",
    };
    format!("{FREQUENCY}{term}")
}

/// The EU access-right vocabulary's term for an open attribute (Art.17-18).
pub fn access_right_uri(open: &OpenAttribute) -> String {
    let term = match open {
        OpenAttribute::Unconditional => "PUBLIC",
        OpenAttribute::Restricted { .. } => "RESTRICTED",
        OpenAttribute::Prohibited { .. } => "NON_PUBLIC",
    };
    format!("{ACCESS_RIGHT}{term}")
}

fn zh(s: &str) -> Value {
    json!({ "@value": s, "@language": "zh" })
}

fn en(s: &str) -> Value {
    json!({ "@value": s, "@language": "en" })
}

fn id(s: impl Into<String>) -> Value {
    json!({ "@id": s.into() })
}

/// A date or instant, typed accordingly.
fn when(s: &str) -> Value {
    let s = s.trim();
    let kind = if s.len() == 10 { "xsd:date" } else { "xsd:dateTime" };
    json!({ "@value": s, "@type": kind })
}

fn insert_when(map: &mut Map<String, Value>, key: &str, s: &str) {
    if !s.trim().is_empty() {
        map.insert(key.into(), when(s));
    }
}

/// The catalog and its resources as a DCAT-AP JSON-LD document. Lists what it is given: the
/// caller passes the resources the portal may show (published ones).
pub fn dcat_jsonld(catalog: &DcatCatalog, resources: &[DcatResource]) -> Value {
    let mut root = Map::new();
    root.insert(
        "@context".into(),
        json!({
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "adms": "http://www.w3.org/ns/adms#",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "csvw": "http://www.w3.org/ns/csvw#",
            "xsd": "http://www.w3.org/2001/XMLSchema#"
        }),
    );
    let homepage = catalog.homepage.trim();
    root.insert("@id".into(), json!(format!("{homepage}#catalog")));
    root.insert("@type".into(), json!("dcat:Catalog"));
    root.insert("dct:title".into(), zh(&catalog.title));
    root.insert("dct:description".into(), zh(&catalog.description));
    root.insert("dct:publisher".into(), json!({ "@type": "foaf:Agent", "foaf:name": zh(&catalog.publisher) }));
    root.insert("foaf:homepage".into(), id(homepage));
    root.insert("dct:language".into(), id(CHINESE));
    insert_when(&mut root, "dct:issued", &catalog.issued);
    insert_when(&mut root, "dct:modified", &catalog.modified);
    root.insert("dcat:dataset".into(), Value::Array(resources.iter().map(dataset).collect()));
    Value::Object(root)
}

fn dataset(resource: &DcatResource) -> Value {
    let d = &resource.document;
    let uri = resource.uri.trim();
    let mut ds = Map::new();
    ds.insert("@id".into(), json!(uri));
    ds.insert("@type".into(), json!("dcat:Dataset"));
    ds.insert("dct:identifier".into(), json!(resource.id.to_string()));
    ds.insert("dct:title".into(), zh(&d.name));
    if !d.description.is_empty() {
        ds.insert("dct:description".into(), zh(&d.description));
    }
    ds.insert("dct:publisher".into(), json!({ "@type": "foaf:Agent", "foaf:name": zh(&resource.provider_name) }));
    if let Some(category) = Category::find(&d.category) {
        ds.insert(
            "dcat:theme".into(),
            json!({
                "@type": "skos:Concept",
                "skos:notation": category.code,
                "skos:prefLabel": [zh(category.zh), en(category.en)]
            }),
        );
    }
    let mut keywords: Vec<&str> = Vec::new();
    for k in std::iter::once(d.business_name.as_str()).chain(d.items.iter().map(|i| i.name.as_str())) {
        if !k.is_empty() && !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    ds.insert("dcat:keyword".into(), Value::Array(keywords.into_iter().map(zh).collect()));
    ds.insert("dct:accrualPeriodicity".into(), id(frequency_uri(d.update_cycle)));
    ds.insert("dct:accessRights".into(), id(access_right_uri(&d.open)));
    ds.insert("dct:language".into(), id(CHINESE));
    ds.insert("dcat:landingPage".into(), id(uri));
    let mut contact = Map::new();
    contact.insert("@type".into(), json!("vcard:Kind"));
    contact.insert("vcard:fn".into(), json!(d.contact_name));
    contact.insert("vcard:organization-name".into(), zh(&resource.provider_name));
    let phone: String = d.contact_phone.chars().filter(|c| c.is_ascii_digit() || *c == '+' || *c == '-').collect();
    if !phone.is_empty() {
        contact.insert("vcard:hasTelephone".into(), id(format!("tel:{phone}")));
    }
    if !d.contact_email.is_empty() {
        contact.insert("vcard:hasEmail".into(), id(format!("mailto:{}", d.contact_email)));
    }
    ds.insert("dcat:contactPoint".into(), Value::Object(contact));
    insert_when(&mut ds, "dct:issued", &resource.issued);
    insert_when(&mut ds, "dct:modified", &resource.modified);
    ds.insert("adms:version".into(), json!(resource.version.to_string()));
    ds.insert("dcat:distribution".into(), Value::Array(d.delivery.iter().map(|m| distribution(uri, *m)).collect()));
    ds.insert("dct:conformsTo".into(), schema(uri, d));
    Value::Object(ds)
}

fn distribution(uri: &str, method: Delivery) -> Value {
    let mut dist = Map::new();
    dist.insert("@id".into(), json!(format!("{uri}#distribution-{}", method.as_str())));
    dist.insert("@type".into(), json!("dcat:Distribution"));
    dist.insert("dct:title".into(), json!([zh(method.label_zh()), en(method.label_en())]));
    dist.insert("dcat:accessURL".into(), id(uri));
    let format = match method {
        Delivery::Api => Some(("JSON", "application/json")),
        Delivery::Bulk => Some(("CSV", "text/csv")),
        Delivery::File => None,
    };
    if let Some((file_type, media_type)) = format {
        dist.insert("dct:format".into(), id(format!("{FILE_TYPE}{file_type}")));
        dist.insert("dcat:mediaType".into(), id(format!("{MEDIA_TYPE}{media_type}")));
    }
    Value::Object(dist)
}

fn xsd_type(t: ItemType) -> &'static str {
    match t {
        ItemType::String | ItemType::Text => "string",
        ItemType::Integer => "integer",
        ItemType::Decimal => "decimal",
        ItemType::Boolean => "boolean",
        ItemType::Date => "date",
        ItemType::Datetime => "dateTime",
        ItemType::Binary => "base64Binary",
    }
}

/// The data items, as a `dct:Standard` the dataset conforms to, with a CSVW table schema.
fn schema(uri: &str, d: &ResourceDocument) -> Value {
    let columns: Vec<Value> = d
        .items
        .iter()
        .map(|item| {
            let mut datatype = Map::new();
            datatype.insert("@type".into(), json!("csvw:Datatype"));
            datatype.insert("csvw:base".into(), json!(xsd_type(item.item_type)));
            if let Some(length) = item.length {
                datatype.insert("csvw:maxLength".into(), json!(length));
            }
            let mut column = Map::new();
            column.insert("@type".into(), json!("csvw:Column"));
            column.insert("csvw:name".into(), json!(item.code));
            column.insert("csvw:titles".into(), zh(&item.name));
            column.insert("csvw:datatype".into(), Value::Object(datatype));
            column.insert("csvw:required".into(), json!(item.required));
            if !item.description.is_empty() {
                column.insert("dct:description".into(), zh(&item.description));
            }
            Value::Object(column)
        })
        .collect();
    let summary: Vec<String> = d
        .items
        .iter()
        .map(|i| match i.length {
            Some(len) => format!("{}（{}，{}，{len}）", i.name, i.code, i.item_type.label_zh()),
            None => format!("{}（{}，{}）", i.name, i.code, i.item_type.label_zh()),
        })
        .collect();
    let key: Vec<&str> = d.items.iter().filter(|i| i.unique_key).map(|i| i.code.as_str()).collect();
    let mut table = Map::new();
    table.insert("@type".into(), json!("csvw:Schema"));
    table.insert("csvw:column".into(), Value::Array(columns));
    if !key.is_empty() {
        table.insert("csvw:primaryKey".into(), json!(key));
    }
    json!({
        "@id": format!("{uri}#schema"),
        "@type": "dct:Standard",
        "dct:title": [zh(&format!("{}的数据项", d.name)), en(&format!("Data items of {}", d.name))],
        "dct:description": zh(&summary.join("；")),
        "csvw:tableSchema": Value::Object(table)
    })
}
