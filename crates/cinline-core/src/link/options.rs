//! The code generation options cinline shares with rustc, typed: read from
//! the `cinline link` command line and from rustc's `-C` options alike, so
//! that a bad value is refused where it is given, named as it was given.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares an option's enum: its variants with the names rustc and the
/// command line use, `FromStr` (naming the accepted values), `Display`,
/// and serde through those names.
macro_rules! named_values {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every accepted name, in order.
            pub const NAMES: &'static [&'static str] = &[$($text),*];

            /// The name rustc and the command line use.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)*
                    _ => Err(format!(
                        "invalid {} `{s}` (expected {})",
                        $what,
                        $name::NAMES.join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_values!(
    /// `-C opt-level`.
    OptLevel, "opt-level" {
        /// No optimization.
        O0 = "0",
        /// `-O1`.
        O1 = "1",
        /// `-O2`.
        O2 = "2",
        /// `-O3`.
        O3 = "3",
        /// Optimize for size.
        Os = "s",
        /// Optimize for size, more.
        Oz = "z",
    }
);

named_values!(
    /// `-C relocation-model`.
    RelocationModel, "relocation-model" {
        /// Not relocatable.
        Static = "static",
        /// Position-independent code.
        Pic = "pic",
        /// Position-independent executable.
        Pie = "pie",
        /// Non-PIC code that may use PIC data.
        DynamicNoPic = "dynamic-no-pic",
        /// The target's default.
        Default = "default",
    }
);

named_values!(
    /// `-C code-model`.
    CodeModel, "code-model" {
        /// `tiny`.
        Tiny = "tiny",
        /// `small`.
        Small = "small",
        /// The Linux kernel's x86-64 model.
        Kernel = "kernel",
        /// `medium`.
        Medium = "medium",
        /// `large`.
        Large = "large",
    }
);

impl OptLevel {
    /// The level as a number 0-3 (`s` and `z` count as 2).
    pub fn number(self) -> u8 {
        match self {
            OptLevel::O0 => 0,
            OptLevel::O1 => 1,
            OptLevel::O2 | OptLevel::Os | OptLevel::Oz => 2,
            OptLevel::O3 => 3,
        }
    }

    /// `s` or `z` when size is optimized for.
    pub fn size(self) -> Option<char> {
        match self {
            OptLevel::Os => Some('s'),
            OptLevel::Oz => Some('z'),
            _ => None,
        }
    }
}

impl Default for OptLevel {
    /// `0`, rustc's default (`cinline link`'s is `2`).
    fn default() -> Self {
        OptLevel::O0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in OptLevel::NAMES {
            assert_eq!(name.parse::<OptLevel>().unwrap().name(), *name);
        }
        for name in RelocationModel::NAMES {
            assert_eq!(name.parse::<RelocationModel>().unwrap().name(), *name);
        }
        for name in CodeModel::NAMES {
            assert_eq!(name.parse::<CodeModel>().unwrap().name(), *name);
        }
        assert_eq!(
            serde_json::to_string(&OptLevel::Os).unwrap(),
            "\"s\"",
            "serialized as rustc names it"
        );
    }

    #[test]
    fn a_bad_value_names_the_option_and_the_choices() {
        let err = "fast".parse::<OptLevel>().unwrap_err();
        assert_eq!(err, "invalid opt-level `fast` (expected 0, 1, 2, 3, s, z)");
        assert!("huge"
            .parse::<CodeModel>()
            .unwrap_err()
            .contains("code-model"));
    }
}
