//! Function-like macros made callable from Rust: each prototype the user
//! declares (`size_t CMSG_SPACE(size_t len)`) becomes a kernel-style
//! helper, `size_t rust_helper_CMSG_SPACE(size_t len) { return
//! CMSG_SPACE(len); }`, in a generated C file that includes the headers.
//! From there it is an ordinary helper: bound under the macro's name,
//! compiled into the native library and to bitcode, inlined by cinline.

use std::path::{Path, PathBuf};

use crate::bindings::HELPER_PREFIX;
use crate::compile;
use crate::error::{Error, Kind};

/// The generated C file, in `OUT_DIR`.
pub(crate) const MACROS_FILE: &str = "cinline_macros.c";

/// One declared macro: `ret name(params)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prototype {
    /// As the user wrote it.
    pub text: String,
    /// The return type (`void` for none).
    pub ret: String,
    /// The macro's name, which Rust calls.
    pub name: String,
    /// Each parameter's declaration (`struct msghdr *mhdr`).
    pub params: Vec<String>,
    /// Each parameter's name (`mhdr`), passed to the macro in order.
    pub args: Vec<String>,
}

impl Prototype {
    /// Reads `text` as a C prototype: a return type, a name, and a
    /// parameter list whose every parameter has a type and a name.
    pub fn parse(text: &str) -> Result<Prototype, Error> {
        let bad = |why: &str| -> Error {
            Kind::FunctionMacro {
                prototype: text.to_string(),
                message: why.to_string(),
            }
            .into()
        };
        let trimmed = text.trim().trim_end_matches(';').trim_end();
        let (open, close) = match (trimmed.find('('), trimmed.rfind(')')) {
            (Some(open), Some(close)) if close == trimmed.len() - 1 && open < close => {
                (open, close)
            }
            _ => return Err(bad("not a prototype `type NAME(type name, ...)`")),
        };
        let head = trimmed[..open].trim_end();
        let name_start = head.rfind(|c: char| !is_ident_char(c)).map_or(0, |i| i + 1);
        let name = &head[name_start..];
        let ret = head[..name_start].trim();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(bad("no macro name before `(`"));
        }
        if ret.is_empty() {
            return Err(bad("no return type (write `void` for none)"));
        }
        let inner = trimmed[open + 1..close].trim();
        let mut params = Vec::new();
        let mut args = Vec::new();
        if !inner.is_empty() && inner != "void" {
            for param in split_top_level(inner) {
                let arg = param_name(param)
                    .ok_or_else(|| bad(&format!("parameter `{param}` needs a type and a name")))?;
                params.push(param.to_string());
                args.push(arg.to_string());
            }
        }
        Ok(Prototype {
            text: text.to_string(),
            ret: ret.to_string(),
            name: name.to_string(),
            params,
            args,
        })
    }

    /// The helper's definition: one line, calling the macro.
    fn definition(&self) -> String {
        let params = if self.params.is_empty() {
            "void".to_string()
        } else {
            self.params.join(", ")
        };
        let call = format!("{}({})", self.name, self.args.join(", "));
        let body = if self.ret == "void" {
            format!("{call};")
        } else {
            format!("return {call};")
        };
        format!(
            "{} {HELPER_PREFIX}{}({params}) {{ {body} }}\n",
            self.ret, self.name
        )
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `text` split at the commas outside parentheses and brackets.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

/// The name a parameter declaration declares: after `(*` for a function
/// pointer (`int (*cmp)(int, int)`), else the last identifier before any
/// array brackets (`const char *s`, `int v[4]`). `None` for a bare type.
fn param_name(param: &str) -> Option<&str> {
    let (decl, offset) = match param.find("(*") {
        Some(i) => (&param[i + 2..], i + 2),
        None => (param.split('[').next().unwrap_or(param), 0),
    };
    let decl = decl.trim_end();
    let (start, end) = if offset > 0 {
        let end = decl.find(|c: char| !is_ident_char(c)).unwrap_or(decl.len());
        (0, end)
    } else {
        let start = decl.rfind(|c: char| !is_ident_char(c)).map_or(0, |i| i + 1);
        (start, decl.len())
    };
    let name = &decl[start..end];
    // A type alone (`size_t`, `int`): nothing before the name.
    let has_type = offset > 0 || !decl[..start].trim().is_empty();
    (!name.is_empty() && has_type && !name.starts_with(|c: char| c.is_ascii_digit()))
        .then_some(name)
}

/// Writes `OUT_DIR/cinline_macros.c`: the headers included, then one
/// helper per prototype. Returns its path.
pub(crate) fn write_helpers(
    out_dir: &Path,
    headers: &[PathBuf],
    prototypes: &[Prototype],
) -> Result<PathBuf, Error> {
    let body: String = prototypes.iter().map(Prototype::definition).collect();
    compile::write_generated(
        out_dir,
        MACROS_FILE,
        "one helper per function-like macro.",
        headers,
        &body,
    )
}

/// The prototype whose helper is on line `line` of the generated file.
fn at_line(headers: usize, prototypes: &[Prototype], line: usize) -> Option<&Prototype> {
    // Line 1 is the comment, then one line per header, one per prototype
    // (`compile::write_generated`).
    line.checked_sub(2 + headers)
        .and_then(|i| prototypes.get(i))
}

/// The generated file did not compile (`e`, with clang's diagnostic): the
/// error names the prototype of the first line clang complains about (all
/// of them if it names none).
pub(crate) fn compile_error(headers: &[PathBuf], prototypes: &[Prototype], e: Error) -> Error {
    let message = e.to_string();
    let marker = format!("{MACROS_FILE}:");
    // The first `cinline_macros.c:LINE:` of the diagnostic.
    let line = message
        .match_indices(&marker)
        .find_map(|(i, _)| message[i + marker.len()..].split(':').next()?.parse().ok());
    let prototype = match line.and_then(|l| at_line(headers.len(), prototypes, l)) {
        Some(p) => p.text.clone(),
        None => prototypes
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\"), function_macro(\""),
    };
    Kind::FunctionMacro {
        prototype,
        message: format!("does not compile against the headers: {message}"),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Prototype {
        Prototype::parse(text).unwrap()
    }

    #[test]
    fn prototypes_are_read_into_helpers() {
        let p = parse("size_t CMSG_SPACE(size_t len)");
        assert_eq!((p.ret.as_str(), p.name.as_str()), ("size_t", "CMSG_SPACE"));
        assert_eq!(p.args, ["len"]);
        assert_eq!(
            p.definition(),
            "size_t rust_helper_CMSG_SPACE(size_t len) { return CMSG_SPACE(len); }\n"
        );
        let p = parse("struct cmsghdr *CMSG_FIRSTHDR(struct msghdr *mhdr);");
        assert_eq!(p.ret, "struct cmsghdr *");
        assert_eq!(p.params, ["struct msghdr *mhdr"]);
        let p = parse("void BUMP(void)");
        assert_eq!(p.definition(), "void rust_helper_BUMP(void) { BUMP(); }\n");
        let p = parse("int APPLY(int (*f)(int, int), int a, const char *s, int v[4])");
        assert_eq!(p.args, ["f", "a", "s", "v"]);
    }

    #[test]
    fn malformed_prototypes_are_refused() {
        for bad in [
            "CMSG_SPACE",
            "size_t (size_t len)",
            "CMSG_SPACE(size_t len)",
            "int F(int)",
        ] {
            let err = Prototype::parse(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("function_macro(\"{bad}\")")),
                "{err}"
            );
        }
    }

    #[test]
    fn generated_lines_map_back_to_prototypes() {
        let protos = [parse("int A(int x)"), parse("int B(int y)")];
        assert_eq!(at_line(1, &protos, 3).map(|p| p.name.as_str()), Some("A"));
        assert_eq!(at_line(1, &protos, 4).map(|p| p.name.as_str()), Some("B"));
        assert_eq!(at_line(1, &protos, 2), None);
    }
}
