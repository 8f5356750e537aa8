//! The house rule: dependencies between top-level modules point one way, down the pipeline
//! (face -> workflows -> export / render / generate -> solve -> spec). This test reads the
//! `crate::` paths of every source file (as `use crate::...` lines and inline `crate::x::`
//! paths, outside `#[cfg(test)] mod tests`), builds the graph of top-level modules and fails on
//! a cycle or on an edge that points up. The same graph is printed by
//! `python3 ../shared/tools/module_graph.py src`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's layer: a module may use modules of a higher layer number, and
/// modules of its own layer as long as that makes no cycle.
const LAYERS: &[(&str, u8)] = &[
    ("cli", 0),
    ("cmd", 0),
    ("workflow", 1),
    ("export", 2),
    ("render", 2),
    ("generate", 2),
    ("grade", 2),
    ("solve", 3),
    ("spec", 4),
    ("number", 4),
    ("limits", 4),
    ("error", 5),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules named in `text` after `crate::`, including `crate::{a, b::c}`.
fn referenced_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(inner.split(',').map(ident).filter(|s| !s.is_empty()));
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

fn module_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let known: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut graph = Graph::new();
    for path in files {
        let relative = path.strip_prefix(&src).expect("below src");
        let first = relative.components().next().expect("a path component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source is UTF-8");
        // Unit tests may reach anywhere; the house is the code outside them.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let targets = referenced_modules(code);
        for target in targets {
            if target != module && known.contains(target.as_str()) {
                graph.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    graph
}

/// Modules on a cycle, found by depth-first search; empty when the graph is acyclic.
fn cycle(graph: &Graph) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            return Some(path[start..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(found) = visit(node, graph, &mut Vec::new(), &mut done) {
            return found;
        }
    }
    Vec::new()
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = module_graph();
    let found = cycle(&graph);
    assert!(
        found.is_empty(),
        "modules depend on each other in a circle: {found:?}; graph: {graph:?}"
    );
}

#[test]
fn every_dependency_points_down_the_layers() {
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let graph = module_graph();
    for (from, targets) in &graph {
        let from_layer = layer.get(from.as_str()).unwrap_or_else(|| {
            panic!("src/{from} is a new top-level module: give it a layer in LAYERS")
        });
        for to in targets {
            assert!(
                layer[to.as_str()] >= *from_layer,
                "`{from}` (layer {from_layer}) uses `{to}` (layer {}), which points up",
                layer[to.as_str()]
            );
        }
    }
}

#[test]
fn the_checker_finds_a_cycle_and_reads_grouped_imports() {
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("a".into());
    assert_eq!(cycle(&graph), ["a", "b"]);
    let found = referenced_modules("use crate::{render::x, spec};\nlet y = crate::solve::z;");
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["render", "solve", "spec"]
    );
}
