// SPDX-License-Identifier: GPL-2.0

//! The protocol core's module dependency graph has no cycle.
//!
//! The nodes are the modules of `mod.rs` (the core's one module list); a module's
//! submodules (`msg/*.rs`, inline `mod x { .. }`) belong to its node. The edges are the
//! `super::` paths of every source file, in `use` declarations (groups included) and in
//! code, resolved to the module of the core they name. Comments, strings and character
//! literals are skipped, so doc links do not count.
//!
//! Besides acyclicity the test checks what the graph relies on: no source reaches the core
//! through `crate::` (the core is `crate::protocol` in the kernel module and the crate root
//! on the host), every `super::` path resolves to a listed module, and `sdio_ids`, which the
//! virtual SDIO host compiles on its own, depends on nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Modules of the core that other programs compile as standalone files: they must not
/// depend on any other module.
const STANDALONE: &[&str] = &["sdio_ids"];

/// What the path scanner needs of Rust's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword.
    Ident(String),
    /// `::`.
    PathSep,
    /// `{`.
    Open,
    /// `}`.
    Close,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// `*`.
    Star,
    /// Anything else: punctuation, numbers, literals.
    Other,
}

/// Skips a quoted literal whose opening `"` is at `i`; `raw_hashes` is `Some(n)` for a raw
/// string with `n` hashes. Returns the index after the closing quote.
fn skip_string(c: &[char], mut i: usize, raw_hashes: Option<usize>) -> usize {
    i += 1;
    while i < c.len() {
        match (c[i], raw_hashes) {
            ('\\', None) => i += 2,
            ('"', None) => return i + 1,
            ('"', Some(n)) if c[i + 1..].iter().take(n).filter(|&&h| h == '#').count() == n => {
                return i + 1 + n;
            }
            _ => i += 1,
        }
    }
    i
}

/// Tokenizes Rust source as far as module paths need: comments (nested block comments
/// included), string, byte, C and raw string literals, character literals and lifetimes
/// are skipped or reduced to [`Tok::Other`].
fn tokenize(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut toks = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i, None);
            toks.push(Tok::Other);
        } else if ch == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                // Opening quote, backslash and the escaped character.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
            }
            toks.push(Tok::Other);
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // String literal prefixes: b"..", c"..", r"..", r#".."#, br#".."#, cr"..".
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            let hashes = c[i..].iter().take_while(|&&h| h == '#').count();
            if raw && at(i + hashes) == '"' {
                i = skip_string(&c, i + hashes, Some(hashes));
                toks.push(Tok::Other);
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(&c, i, None);
                toks.push(Tok::Other);
            } else if matches!(word.as_str(), "b") && at(i) == '\'' {
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                toks.push(Tok::Other);
            } else {
                toks.push(Tok::Ident(word));
            }
        } else if ch.is_ascii_digit() {
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            toks.push(Tok::Other);
        } else {
            let tok = match ch {
                ':' if at(i + 1) == ':' => {
                    i += 1;
                    Tok::PathSep
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                ';' => Tok::Semi,
                '*' => Tok::Star,
                c if c.is_whitespace() => {
                    i += 1;
                    continue;
                }
                _ => Tok::Other,
            };
            toks.push(tok);
            i += 1;
        }
    }
    toks
}

/// Whether `t` is the identifier `word`.
fn is_ident(t: Option<&Tok>, word: &str) -> bool {
    matches!(t, Some(Tok::Ident(w)) if w == word)
}

/// The first path segments of the elements of the `use` group whose `{` is at `open`.
fn group_heads(toks: &[Tok], open: usize) -> Result<Vec<String>, String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_element_start = true;
    for t in &toks[open..] {
        match t {
            Tok::Open => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return Ok(heads);
                }
            }
            Tok::Comma if depth == 1 => {
                at_element_start = true;
                continue;
            }
            Tok::Star if depth == 1 && at_element_start => {
                return Err("glob import of the core's root".into());
            }
            Tok::Ident(w) if depth == 1 && at_element_start && w != "self" => {
                heads.push(w.clone());
            }
            _ => {}
        }
        at_element_start = false;
    }
    Err("unterminated use group".into())
}

/// The modules of the core that one source file names through `super::` paths.
///
/// `file_depth` is how deep the file's module sits below its node's module: 0 for
/// `msg.rs`, 1 for `msg/tx.rs`. A path reaches the core's root when its `super::` count
/// is one more than the file depth plus the inline modules around it.
fn references(toks: &[Tok], file_depth: usize) -> Result<BTreeSet<String>, String> {
    let mut refs = BTreeSet::new();
    // One entry per open brace: whether it opened an inline module (`mod name {`).
    let mut braces: Vec<bool> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let prev = |back: usize| i.checked_sub(back).and_then(|p| toks.get(p));
        match t {
            Tok::Open => {
                let is_mod = is_ident(prev(2), "mod") && matches!(prev(1), Some(Tok::Ident(_)));
                braces.push(is_mod);
            }
            Tok::Close => {
                braces.pop();
            }
            Tok::Ident(w) if w == "crate" && toks.get(i + 1) == Some(&Tok::PathSep) => {
                return Err("a `crate::` path (the core's place differs per build)".into());
            }
            Tok::Ident(w) if w == "super" && prev(1) != Some(&Tok::PathSep) => {
                let mut supers = 0;
                let mut j = i;
                while is_ident(toks.get(j), "super") && toks.get(j + 1) == Some(&Tok::PathSep) {
                    supers += 1;
                    j += 2;
                }
                let root = file_depth + braces.iter().filter(|&&m| m).count() + 1;
                if supers == 0 || supers < root {
                    // `pub(super)`, or a path inside the same node.
                } else if supers > root {
                    return Err("a `super::` path above the core's root".into());
                } else {
                    match toks.get(j) {
                        Some(Tok::Ident(w)) if w != "self" => {
                            refs.insert(w.clone());
                        }
                        Some(Tok::Open) => refs.extend(group_heads(toks, j)?),
                        Some(Tok::Star) => return Err("glob import of the core's root".into()),
                        _ => return Err("a `super::` path to the core's root itself".into()),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(refs)
}

/// The modules `mod.rs` declares (`mod name;`).
fn declared_modules(mod_rs: &str) -> Vec<String> {
    let toks = tokenize(mod_rs);
    toks.windows(3)
        .filter_map(|w| match w {
            [Tok::Ident(m), Tok::Ident(name), Tok::Semi] if m == "mod" => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// Every source file of module `name` with its depth: `name.rs` and the files under
/// `name/`.
fn module_files(root: &Path, name: &str) -> Vec<(String, usize)> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(String, usize)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, depth + 1, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let depth = if path.file_name().is_some_and(|f| f == "mod.rs") {
                    depth - 1
                } else {
                    depth
                };
                let text = fs::read_to_string(&path).expect("readable source");
                out.push((text, depth));
            }
        }
    }
    let mut files = vec![(
        fs::read_to_string(root.join(format!("{name}.rs"))).expect("module file"),
        0,
    )];
    walk(&root.join(name), 1, &mut files);
    files
}

/// A module graph: each module and the modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Builds the graph from `(module, [(source, depth)])`, dropping self-references.
fn build_graph(modules: &[(String, Vec<(String, usize)>)]) -> Result<Graph, String> {
    let names: BTreeSet<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
    let mut graph = Graph::new();
    for (name, files) in modules {
        let mut deps = BTreeSet::new();
        for (src, depth) in files {
            let refs = references(&tokenize(src), *depth).map_err(|e| format!("{name}: {e}"))?;
            deps.extend(refs);
        }
        deps.remove(name);
        if let Some(unknown) = deps.iter().find(|d| !names.contains(d.as_str())) {
            return Err(format!("{name}: `super::{unknown}` is no module of mod.rs"));
        }
        graph.insert(name.clone(), deps);
    }
    Ok(graph)
}

/// A cycle of `graph` (first module repeated at the end), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(dep, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut marks, &mut Vec::new()))
}

/// The graph of the real sources.
fn protocol_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mod_rs = fs::read_to_string(root.join("mod.rs")).expect("mod.rs");
    let modules: Vec<_> = declared_modules(&mod_rs)
        .into_iter()
        .map(|name| {
            let files = module_files(root, &name);
            (name, files)
        })
        .collect();
    build_graph(&modules).unwrap_or_else(|e| panic!("module graph: {e}"))
}

/// Renders the graph, one `module -> deps` line each, for failure messages.
fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(n, deps)| {
            format!(
                "  {n} -> {}\n",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect()
}

#[test]
fn protocol_modules_form_no_cycle() {
    let graph = protocol_graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle in bes2600/protocol: {}\ngraph:\n{}",
            cycle.join(" -> "),
            render(&graph)
        );
    }
}

#[test]
fn every_source_file_is_a_listed_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = declared_modules(&fs::read_to_string(root.join("mod.rs")).expect("mod.rs"));
    for entry in fs::read_dir(root).expect("protocol dir").flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && !["mod", "crate_root"].contains(&stem) {
            assert!(
                listed.iter().any(|m| m == stem),
                "{stem}.rs is not in mod.rs: the graph would miss it"
            );
        }
    }
}

#[test]
fn standalone_modules_depend_on_nothing() {
    let graph = protocol_graph();
    for name in STANDALONE {
        let deps = graph
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not in mod.rs"));
        assert!(
            deps.is_empty(),
            "{name} uses {deps:?} but is compiled on its own elsewhere"
        );
    }
}

/// The scanner sees the edges it must see: a vacuous graph would pass the cycle check.
#[test]
fn graph_has_the_known_edges() {
    let graph = protocol_graph();
    for (from, to) in [
        ("boot_frame", "crc32"),
        ("codec", "error"),
        ("error", "wsm_seq"),
        ("mib", "wsm_message"),
        ("msg", "mib"),
        ("msg", "wsm_message"),
        ("sdio_framing", "sdio_ids"),
        ("selftest", "sdio_framing"),
        ("wsm_header", "codec"),
    ] {
        assert!(
            graph.get(from).is_some_and(|d| d.contains(to)),
            "expected edge {from} -> {to}\ngraph:\n{}",
            render(&graph)
        );
    }
}

/// Builds a graph from in-memory `(module, source)` pairs, all at depth 0.
fn graph_of(sources: &[(&str, &str)]) -> Result<Graph, String> {
    let modules: Vec<_> = sources
        .iter()
        .map(|(n, s)| (n.to_string(), vec![(s.to_string(), 0)]))
        .collect();
    build_graph(&modules)
}

#[test]
fn scanner_resolves_groups_inline_modules_and_skips_comments() {
    let a = r##"
        use super::b::{X, Y};
        use super::{c::Z, d::{self, W}};
        // use super::e::Commented;
        /* use super::e::Block; /* nested */ */
        /// [`super::e::DocLink`]
        const S: &str = "super::e::InString";
        const R: &str = r#"super::e::InRaw"#;
        const Q: char = '"';
        fn f<'a>(x: &'a u8) -> u8 { *x + super::f::g() }
        pub mod inner {
            pub(super) const I: u8 = 0;
            use super::I as J;
            use super::super::g::K;
        }
    "##;
    let graph = graph_of(&[
        ("a", a),
        ("b", ""),
        ("c", ""),
        ("d", ""),
        ("e", ""),
        ("f", ""),
        ("g", ""),
    ])
    .expect("graph");
    let deps: Vec<_> = graph["a"].iter().map(String::as_str).collect();
    assert_eq!(deps, ["b", "c", "d", "f", "g"]);
}

#[test]
fn scanner_resolves_submodule_files() {
    let src = "use super::super::codec::Reader;\nuse super::Message;\n";
    let refs = references(&tokenize(src), 1).expect("refs");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["codec"]);
}

#[test]
fn checker_finds_a_cycle_and_rejects_bad_paths() {
    let graph = graph_of(&[
        ("a", "use super::b::X;"),
        ("b", "fn f() { super::c::g(); }"),
        ("c", "use super::{a::Y};"),
    ])
    .expect("graph");
    assert_eq!(
        find_cycle(&graph).expect("cycle"),
        ["a", "b", "c", "a"].map(String::from)
    );
    assert!(graph_of(&[("a", "use super::b::X;")]).is_err());
    assert!(graph_of(&[("a", "use crate::a::X;")]).is_err());
    assert!(graph_of(&[("a", "use super::*;")]).is_err());
    assert!(graph_of(&[("a", "use super::super::x::X;")]).is_err());
}
