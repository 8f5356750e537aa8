//! Cutting compiled PDFs apart and putting pages together again, with lopdf: a sheet's own PDF is
//! some pages of a class document; a print file is pages of several class documents, with blank
//! pages between. A class PDF is read once, however many PDFs are cut from it. Knows nothing of
//! students or LaTeX: which pages go where is the caller's business.

use std::collections::BTreeMap;
use std::path::Path;

use lopdf::{dictionary, Dictionary, Document, Object, ObjectId, Stream};

use crate::error::{Error, Result};

/// Page attributes a page may inherit from the page tree (PDF 1.7, 7.7.3.4); a page taken out of
/// its tree gets them written on itself.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

fn pdf_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(lopdf::Error) -> Error + 'a {
    move |e| Error::Io {
        action,
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// A compiled PDF, read once, and its pages in order.
pub(crate) struct SourcePdf {
    document: Document,
    pages: Vec<ObjectId>,
}

impl SourcePdf {
    /// Reads the PDF at `path`.
    pub(crate) fn load(path: &Path) -> Result<SourcePdf> {
        let document = Document::load(path).map_err(pdf_error("read the PDF", path))?;
        let pages = document.get_pages().into_values().collect();
        Ok(SourcePdf { document, pages })
    }

    /// How many pages it has.
    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The value of `key` for page `page`, from the page itself or the nearest ancestor that
    /// has it.
    fn inherited(&self, page: ObjectId, key: &[u8]) -> Option<&Object> {
        let mut node = self.document.get_dictionary(page).ok()?;
        // The depth bound guards against a malformed tree whose parents form a loop.
        for _ in 0..64 {
            if let Ok(value) = node.get(key) {
                return Some(value);
            }
            let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
            node = self.document.get_dictionary(parent).ok()?;
        }
        None
    }

    /// The size of page `page` (1-based), for a blank page that matches it.
    fn media_box(&self, page: usize) -> Object {
        self.inherited(self.pages[page - 1], b"MediaBox")
            .cloned()
            .unwrap_or_else(|| vec![0.into(), 0.into(), 595.into(), 842.into()].into())
    }
}

/// A PDF being put together from the pages of [`SourcePdf`]s.
pub(crate) struct Assembly {
    document: Document,
    tree: ObjectId,
    kids: Vec<Object>,
}

/// The objects of one source already copied into an assembly: the fonts that all pages of a
/// class document share are copied once.
#[derive(Default)]
pub(crate) struct Copied(BTreeMap<ObjectId, ObjectId>);

impl Assembly {
    /// An empty PDF.
    pub(crate) fn new() -> Assembly {
        let mut document = Document::with_version("1.5");
        let tree = document.new_object_id();
        Assembly {
            document,
            tree,
            kids: Vec::new(),
        }
    }

    /// Appends `pages` (1-based page numbers) of `source`; `copied` remembers what of `source`
    /// this assembly already holds (use one per source).
    pub(crate) fn append(&mut self, source: &SourcePdf, pages: &[usize], copied: &mut Copied) {
        let ids: Vec<(ObjectId, ObjectId)> = pages
            .iter()
            .map(|&page| {
                let id = source.pages[page - 1];
                // Registered first, so that a reference to the page (a link) is not followed
                // into the source's page tree.
                let new = *copied
                    .0
                    .entry(id)
                    .or_insert_with(|| self.document.new_object_id());
                (id, new)
            })
            .collect();
        for (id, new) in ids {
            let mut page = Dictionary::new();
            if let Ok(original) = source.document.get_dictionary(id) {
                for (key, value) in original.iter() {
                    if key.as_slice() != b"Parent" {
                        page.set(key.clone(), self.copy(source, value, copied));
                    }
                }
            }
            for key in INHERITED {
                if !page.has(key) {
                    if let Some(value) = source.inherited(id, key) {
                        page.set(key, self.copy(source, value, copied));
                    }
                }
            }
            page.set("Parent", self.tree);
            self.document.objects.insert(new, Object::Dictionary(page));
            self.kids.push(new.into());
        }
    }

    /// Appends a blank page the size of page `like` (1-based) of `source`.
    pub(crate) fn blank_page(&mut self, source: &SourcePdf, like: usize) {
        let page = self.document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => self.tree,
            "MediaBox" => source.media_box(like),
            "Resources" => Dictionary::new(),
        });
        self.kids.push(page.into());
    }

    /// How many pages it has so far.
    pub(crate) fn page_count(&self) -> usize {
        self.kids.len()
    }

    /// `value` of `source` with every object it refers to copied in, renumbered. A reference to a
    /// page that is not copied, or to the page tree, becomes null.
    fn copy(&mut self, source: &SourcePdf, value: &Object, copied: &mut Copied) -> Object {
        match value {
            Object::Reference(id) => self.copy_reference(source, *id, copied),
            Object::Array(items) => Object::Array(
                items
                    .iter()
                    .map(|item| self.copy(source, item, copied))
                    .collect(),
            ),
            Object::Dictionary(dict) => {
                Object::Dictionary(self.copy_dictionary(source, dict, copied))
            }
            Object::Stream(stream) => Object::Stream(Stream {
                dict: self.copy_dictionary(source, &stream.dict, copied),
                ..stream.clone()
            }),
            other => other.clone(),
        }
    }

    fn copy_dictionary(
        &mut self,
        source: &SourcePdf,
        dict: &Dictionary,
        copied: &mut Copied,
    ) -> Dictionary {
        let mut out = Dictionary::new();
        for (key, value) in dict.iter() {
            out.set(key.clone(), self.copy(source, value, copied));
        }
        out
    }

    fn copy_reference(&mut self, source: &SourcePdf, id: ObjectId, copied: &mut Copied) -> Object {
        if let Some(&new) = copied.0.get(&id) {
            return Object::Reference(new);
        }
        let Ok(object) = source.document.get_object(id) else {
            return Object::Null;
        };
        let is_tree = |dict: &Dictionary| dict.has_type(b"Page") || dict.has_type(b"Pages");
        if matches!(object, Object::Dictionary(dict) if is_tree(dict)) {
            return Object::Null;
        }
        let new = self.document.new_object_id();
        // Registered before the contents are copied: objects may refer to each other in a loop.
        copied.0.insert(id, new);
        let copy = self.copy(source, object, copied);
        self.document.objects.insert(new, copy);
        Object::Reference(new)
    }

    /// Writes the PDF to `path`.
    pub(crate) fn save(mut self, path: &Path) -> Result<()> {
        let count = i64::try_from(self.kids.len()).expect("invariant: a PDF has few pages");
        let tree = dictionary! {
            "Type" => "Pages",
            "Kids" => std::mem::take(&mut self.kids),
            "Count" => count,
        };
        self.document
            .objects
            .insert(self.tree, Object::Dictionary(tree));
        let catalog = self.document.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => self.tree,
        });
        self.document.trailer.set("Root", catalog);
        let write_error = |source| Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(write_error)?);
        self.document
            .save_to(&mut out)
            .and_then(|()| std::io::Write::flush(&mut out))
            .map_err(write_error)
    }
}
