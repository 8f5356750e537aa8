//! Templates that would never finish rendering are refused when the engine is built. Tera 1
//! renders an include or a macro call, and loads the files a template imports, by recursing on
//! the machine stack, so a template that includes itself, a macro that calls itself, or a file
//! that imports itself overflows the stack and aborts the process (issue 10). This module reads
//! the parsed templates (Tera's AST), draws who includes and calls whom, and who imports whom,
//! and refuses any circle, naming the templates on it. nnexam's templates never need a
//! recursion, so none is allowed, not even one that would end.

use std::collections::{BTreeMap, BTreeSet};

use tera::ast::{Expr, ExprVal, Node};
use tera::Tera;

use crate::error::{Error, Result};

/// What renders what: a template (its text outside macros) or one macro of a template file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Renders {
    Template(String),
    Macro { file: String, name: String },
}

impl Renders {
    fn describe(&self) -> String {
        match self {
            Renders::Template(name) => name.clone(),
            Renders::Macro { file, name } => format!("macro `{name}` of {file}"),
        }
    }

    fn file(&self) -> &str {
        match self {
            Renders::Template(name) | Renders::Macro { file: name, .. } => name,
        }
    }
}

type Graph = BTreeMap<Renders, BTreeSet<Renders>>;

/// Refuses the first circle of includes, extends and macro calls in `tera`.
pub(super) fn refuse_cycles(tera: &Tera) -> Result<()> {
    // Imports are a web of their own: a template may include a file whose macros it imports
    // elsewhere without any recursion.
    for (graph, what) in [(renders(tera), "render"), (imports(tera), "import")] {
        let mut done = BTreeSet::new();
        for start in graph.keys() {
            if let Some(circle) = find_circle(start, &graph, &mut Vec::new(), &mut done) {
                return Err(circle_error(&circle, what));
            }
        }
    }
    Ok(())
}

/// The error for `circle`, a circle of `what` ("render" or "import").
fn circle_error(circle: &[Renders], what: &str) -> Error {
    let path: Vec<String> = circle
        .iter()
        .chain(circle.first())
        .map(Renders::describe)
        .collect();
    let problem = if what == "import" {
        "imports itself"
    } else if circle.iter().any(|r| matches!(r, Renders::Macro { .. })) {
        "calls itself"
    } else {
        "includes itself"
    };
    Error::invalid(
        circle[0].file(),
        format!(
            "{} {problem} ({}), so rendering it would go on forever",
            circle[0].describe(),
            path.join(" -> ")
        ),
        "remove the include, import or macro call that closes the circle (nnexam's templates \
         never recurse)",
    )
}

/// Every template with the files it imports macros from.
fn imports(tera: &Tera) -> Graph {
    tera.get_template_names()
        .filter_map(|name| Some((name, tera.get_template(name).ok()?)))
        .map(|(name, template)| {
            let files = template
                .imported_macro_files
                .iter()
                .map(|(file, _)| Renders::Template(file.clone()))
                .collect();
            (Renders::Template(name.to_string()), files)
        })
        .collect()
}

/// A circle through `node`, by depth-first search; `done` holds nodes known to reach none.
fn find_circle(
    node: &Renders,
    graph: &Graph,
    path: &mut Vec<Renders>,
    done: &mut BTreeSet<Renders>,
) -> Option<Vec<Renders>> {
    if let Some(start) = path.iter().position(|n| n == node) {
        return Some(path[start..].to_vec());
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.clone());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(circle) = find_circle(next, graph, path, done) {
            return Some(circle);
        }
    }
    path.pop();
    done.insert(node.clone());
    None
}

/// Every template and macro with what it renders directly.
fn renders(tera: &Tera) -> Graph {
    let mut graph = Graph::new();
    for name in tera.get_template_names() {
        let Ok(template) = tera.get_template(name) else {
            continue;
        };
        let imports: BTreeMap<&str, &str> = template
            .imported_macro_files
            .iter()
            .map(|(file, namespace)| (namespace.as_str(), file.as_str()))
            .collect();
        let edges = Edges {
            file: name,
            imports: &imports,
            tera,
        };
        let mut targets = BTreeSet::new();
        if let Some(parent) = &template.parent {
            targets.insert(Renders::Template(parent.clone()));
        }
        edges.nodes(&template.ast, &mut targets);
        graph.insert(Renders::Template(name.to_string()), targets);
        for (macro_name, definition) in &template.macros {
            let mut targets = BTreeSet::new();
            edges.nodes(&definition.body, &mut targets);
            for default in definition.args.values().flatten() {
                edges.expr(default, &mut targets);
            }
            let node = Renders::Macro {
                file: name.to_string(),
                name: macro_name.clone(),
            };
            graph.insert(node, targets);
        }
    }
    graph
}

/// Reads what one template's nodes render: `self::` macros are the file's own, others come
/// from its imports.
struct Edges<'a> {
    file: &'a str,
    imports: &'a BTreeMap<&'a str, &'a str>,
    tera: &'a Tera,
}

impl Edges<'_> {
    fn nodes(&self, nodes: &[Node], out: &mut BTreeSet<Renders>) {
        for node in nodes {
            self.node(node, out);
        }
    }

    fn node(&self, node: &Node, out: &mut BTreeSet<Renders>) {
        match node {
            Node::VariableBlock(_, e) => self.expr(e, out),
            Node::Include(_, names, _) => out.extend(
                names
                    .iter()
                    .filter(|n| self.tera.get_template(n).is_ok())
                    .map(|n| Renders::Template(n.clone())),
            ),
            Node::Set(_, set) => self.expr(&set.value, out),
            Node::FilterSection(_, section, _) => {
                self.calls(std::slice::from_ref(&section.filter), out);
                self.nodes(&section.body, out);
            }
            Node::Block(_, block, _) => self.nodes(&block.body, out),
            Node::Forloop(_, for_loop, _) => {
                self.expr(&for_loop.container, out);
                self.nodes(&for_loop.body, out);
                if let Some(empty) = &for_loop.empty_body {
                    self.nodes(empty, out);
                }
            }
            Node::If(branches, _) => {
                for (_, condition, body) in &branches.conditions {
                    self.expr(condition, out);
                    self.nodes(body, out);
                }
                if let Some((_, body)) = &branches.otherwise {
                    self.nodes(body, out);
                }
            }
            // Macro definitions are nodes of their own; the rest renders nothing.
            _ => {}
        }
    }

    fn calls(&self, calls: &[tera::ast::FunctionCall], out: &mut BTreeSet<Renders>) {
        for call in calls {
            for arg in call.args.values() {
                self.expr(arg, out);
            }
        }
    }

    fn expr(&self, expr: &Expr, out: &mut BTreeSet<Renders>) {
        self.calls(&expr.filters, out);
        match &expr.val {
            ExprVal::MacroCall(call) => {
                let file = match call.namespace.as_str() {
                    "self" => Some(self.file),
                    namespace => self.imports.get(namespace).copied(),
                };
                if let Some(file) = file {
                    out.insert(Renders::Macro {
                        file: file.to_string(),
                        name: call.name.clone(),
                    });
                }
                for arg in call.args.values() {
                    self.expr(arg, out);
                }
            }
            ExprVal::FunctionCall(call) => self.calls(std::slice::from_ref(call), out),
            ExprVal::Math(m) => {
                self.expr(&m.lhs, out);
                self.expr(&m.rhs, out);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs, out);
                self.expr(&l.rhs, out);
            }
            ExprVal::In(i) => {
                self.expr(&i.lhs, out);
                self.expr(&i.rhs, out);
            }
            ExprVal::Test(t) => {
                for arg in &t.args {
                    self.expr(arg, out);
                }
            }
            ExprVal::Array(items) => {
                for item in items {
                    self.expr(item, out);
                }
            }
            ExprVal::StringConcat(concat) => {
                for value in &concat.values {
                    self.expr(
                        &Expr {
                            val: value.clone(),
                            negated: false,
                            filters: Vec::new(),
                        },
                        out,
                    );
                }
            }
            ExprVal::String(_)
            | ExprVal::Int(_)
            | ExprVal::Float(_)
            | ExprVal::Bool(_)
            | ExprVal::Ident(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(templates: &[(&str, &str)]) -> Result<Tera> {
        let mut tera = Tera::default();
        tera.add_raw_templates(templates.to_vec())
            .map_err(super::super::template_error)?;
        refuse_cycles(&tera)?;
        Ok(tera)
    }

    fn error(templates: &[(&str, &str)]) -> String {
        engine(templates).unwrap_err().to_string()
    }

    #[test]
    fn a_template_that_includes_itself_is_refused_by_name() {
        let msg = error(&[("a.tex", "x {% include \"a.tex\" %}")]);
        assert!(
            msg.contains("`a.tex`") && msg.contains("includes itself"),
            "{msg}"
        );
    }

    #[test]
    fn an_include_circle_names_every_template_on_it() {
        let msg = error(&[
            ("a.md", "{% if x %}{% include \"b.md\" %}{% endif %}"),
            ("b.md", "{% for i in l %}{% include \"a.md\" %}{% endfor %}"),
        ]);
        assert!(msg.contains("a.md -> b.md -> a.md"), "{msg}");
    }

    #[test]
    fn recursive_macros_are_refused_even_across_files() {
        let msg = error(&[(
            "a.tex",
            "{% macro f(n) %}{{ self::f(n=n - 1) }}{% endmacro f %}{{ self::f(n=3) }}",
        )]);
        assert!(
            msg.contains("macro `f` of a.tex") && msg.contains("forever"),
            "{msg}"
        );
        let msg = error(&[
            (
                "m.tera",
                "{% import \"n.tera\" as n %}{% macro f() %}{{ n::g() | upper }}{% endmacro f %}",
            ),
            (
                "n.tera",
                "{% import \"m.tera\" as m %}{% macro g() %}{% set y = m::f() %}{% endmacro g %}",
            ),
            ("main.txt", "{% import \"m.tera\" as m %}{{ m::f() }}"),
        ]);
        assert!(msg.contains("calls itself"), "{msg}");
    }

    #[test]
    fn a_macro_that_includes_its_own_template_is_refused() {
        let msg = error(&[(
            "a.tex",
            "{% macro f() %}{% include \"a.tex\" %}{% endmacro f %}{{ self::f() }}",
        )]);
        assert!(msg.contains("a.tex"), "{msg}");
    }

    #[test]
    fn a_file_that_imports_itself_is_refused() {
        // Found by the property test: Tera loads imports of imports by recursion.
        let msg = error(&[
            (
                "a.tera",
                "{% import \"b.tera\" as b %}{% macro f() %}x{% endmacro f %}",
            ),
            (
                "b.tera",
                "{% import \"a.tera\" as a %}{% macro g() %}y{% endmacro g %}",
            ),
            ("main.txt", "{% import \"a.tera\" as a %}{{ a::f() }}"),
        ]);
        assert!(
            msg.contains("imports itself") && msg.contains("a.tera -> b.tera"),
            "{msg}"
        );
    }

    #[test]
    fn templates_that_reuse_each_other_without_a_circle_are_fine() {
        let tera = engine(&[
            ("m.tera", "{% macro row(v) %}[{{ v }}]{% endmacro row %}{% macro two(v) %}{{ self::row(v=v) }}{{ self::row(v=v) }}{% endmacro two %}"),
            ("a.txt", "{% import \"m.tera\" as m %}{{ m::two(v=1) }}{% include \"b.txt\" %}"),
            ("b.txt", "{% import \"m.tera\" as m %}{{ m::row(v=2) }}"),
            // Including a file whose macros one also imports is no recursion.
            ("c.txt", "{% import \"d.txt\" as d %}{{ d::e() }}"),
            ("d.txt", "{% macro e() %}e{% endmacro e %}{% include \"c.txt\" %}"),
        ])
        .unwrap();
        let out = tera.render("a.txt", &tera::Context::new()).unwrap();
        assert_eq!(out, "[1][1][2]");
    }
}
