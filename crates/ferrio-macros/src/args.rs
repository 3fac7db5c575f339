//! Parsing of the attribute arguments: `#[ferrio::test(clock = "real", crate = "path")]`.

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::{Error, Ident, LitStr, Path, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[ferrio::main]`
    Main,
    /// `#[ferrio::test]`
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for messages.
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::Main => "#[ferrio::main]",
            Kind::Test => "#[ferrio::test]",
        }
    }
}

/// The clock a test's event loop runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clock {
    /// Paused, auto-advancing virtual clock (the default for tests).
    Virtual,
    /// The wall clock.
    Real,
}

/// Parsed attribute arguments.
pub(crate) struct Args {
    /// Path to the `ferrio` crate; `None` means `::ferrio`.
    pub(crate) krate: Option<Path>,
    /// Only meaningful for `#[ferrio::test]`.
    pub(crate) clock: Clock,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            krate: None,
            clock: Clock::Virtual,
        }
    }
}

/// Parses the arguments of `kind`.
///
/// Never gives up entirely: every argument that could be understood is
/// applied to the returned [`Args`] (the rest keep their defaults), and every
/// problem found is reported in the returned error, so the caller can still
/// expand the item.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> (Args, Option<Error>) {
    let mut state = State {
        kind,
        args: Args::default(),
        seen_clock: false,
        seen_crate: false,
        errors: None,
    };
    let result = (|input: ParseStream<'_>| state.parse_all(input)).parse2(tokens);
    if let Err(err) = result {
        state.push(err);
    }
    (state.args, state.errors)
}

struct State {
    kind: Kind,
    args: Args,
    seen_clock: bool,
    seen_crate: bool,
    errors: Option<Error>,
}

impl State {
    fn push(&mut self, err: Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(err),
            None => self.errors = Some(err),
        }
    }

    /// `name = "value", ...` with an optional trailing comma. Syntax errors
    /// are fatal (returned); errors about names and values are collected.
    fn parse_all(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        while !input.is_empty() {
            // `parse_any` so that the keyword `crate` is accepted as a name.
            let name = input.call(Ident::parse_any)?;
            match self.check_name(&name) {
                Ok(arg) => {
                    if !input.peek(Token![=]) {
                        let msg = format!("expected a value: `{name} = \"...\"`");
                        return Err(Error::new(name.span(), msg));
                    }
                    input.parse::<Token![=]>()?;
                    let value: LitStr = input.parse()?;
                    if let Err(err) = self.apply(arg, &value) {
                        self.push(err);
                    }
                }
                Err(err) => {
                    // Report it and move on to the next argument.
                    self.push(err);
                    skip_to_comma(input)?;
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    }

    /// Checks that `name` is an argument of this attribute, given only once.
    fn check_name(&mut self, name: &Ident) -> syn::Result<Arg> {
        let (arg, seen) = match name.to_string().as_str() {
            "clock" if self.kind == Kind::Main => {
                return Err(Error::new(
                    name.span(),
                    "`clock` is only accepted by `#[ferrio::test]`; \
                     `#[ferrio::main]` always runs on the real clock",
                ));
            }
            "clock" => (Arg::Clock, &mut self.seen_clock),
            "crate" => (Arg::Crate, &mut self.seen_crate),
            other => {
                let expected = match self.kind {
                    Kind::Main => "expected `crate`",
                    Kind::Test => "expected `clock` or `crate`",
                };
                return Err(Error::new(
                    name.span(),
                    format!("unknown argument `{other}`; {expected}"),
                ));
            }
        };
        if *seen {
            return Err(Error::new(
                name.span(),
                format!("duplicate argument `{name}`"),
            ));
        }
        *seen = true;
        Ok(arg)
    }

    fn apply(&mut self, arg: Arg, value: &LitStr) -> syn::Result<()> {
        match arg {
            Arg::Clock => {
                self.args.clock = match value.value().as_str() {
                    "virtual" => Clock::Virtual,
                    "real" => Clock::Real,
                    _ => {
                        return Err(Error::new(
                            value.span(),
                            "`clock` must be \"virtual\" or \"real\"",
                        ));
                    }
                };
            }
            Arg::Crate => {
                let path = value.parse::<Path>().map_err(|_| {
                    Error::new(
                        value.span(),
                        "`crate` must be a path to the ferrio crate, \
                         such as \"ferrio\", \"crate\" or \"::my_crate::ferrio\"",
                    )
                })?;
                self.args.krate = Some(path);
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Arg {
    Clock,
    Crate,
}

/// Skips the tokens of an argument up to (not including) the next `,`.
fn skip_to_comma(input: ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

#[cfg(test)]
mod tests {
    use super::{parse, Args, Clock, Kind};
    use proc_macro2::TokenStream;
    use quote::{quote, ToTokens as _};

    fn ok(kind: Kind, tokens: TokenStream) -> Args {
        let (args, err) = parse(kind, tokens);
        if let Some(err) = err {
            panic!("unexpected error: {err}");
        }
        args
    }

    fn errors(kind: Kind, tokens: TokenStream) -> Vec<String> {
        let (_, err) = parse(kind, tokens);
        err.expect("expected an error")
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn empty_is_default() {
        let args = ok(Kind::Test, quote!());
        assert_eq!(args.clock, Clock::Virtual);
        assert!(args.krate.is_none());
        assert!(ok(Kind::Main, quote!()).krate.is_none());
    }

    #[test]
    fn clock_values() {
        assert_eq!(ok(Kind::Test, quote!(clock = "real")).clock, Clock::Real);
        assert_eq!(
            ok(Kind::Test, quote!(clock = "virtual")).clock,
            Clock::Virtual
        );
    }

    #[test]
    fn crate_path() {
        let args = ok(Kind::Test, quote!(crate = "crate", clock = "real",));
        assert_eq!(args.clock, Clock::Real);
        let path = args.krate.unwrap().to_token_stream().to_string();
        assert_eq!(path, "crate");

        let args = ok(Kind::Main, quote!(crate = "::reexport::ferrio"));
        let path = args.krate.unwrap().to_token_stream().to_string();
        assert_eq!(path, quote!(::reexport::ferrio).to_string());
    }

    #[test]
    fn unknown_argument() {
        assert_eq!(
            errors(Kind::Test, quote!(x = "1")),
            ["unknown argument `x`; expected `clock` or `crate`"]
        );
        assert_eq!(
            errors(Kind::Main, quote!(flavor = "current_thread")),
            ["unknown argument `flavor`; expected `crate`"]
        );
        let errs = errors(Kind::Main, quote!(clock = "real"));
        assert!(errs[0].starts_with("`clock` is only accepted by `#[ferrio::test]`"));
    }

    #[test]
    fn bad_values() {
        assert_eq!(
            errors(Kind::Test, quote!(clock = "wall")),
            ["`clock` must be \"virtual\" or \"real\""]
        );
        let errs = errors(Kind::Test, quote!(crate = "not a path"));
        assert!(errs[0].starts_with("`crate` must be a path"));
        assert_eq!(
            errors(Kind::Test, quote!(clock = real)),
            ["expected string literal"]
        );
    }

    #[test]
    fn unknown_arguments_are_skipped() {
        let (args, err) = parse(
            Kind::Test,
            quote!(
                flavor,
                worker_threads = 4,
                start_paused = true,
                clock = "real"
            ),
        );
        let msgs: Vec<_> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "unknown argument `flavor`; expected `clock` or `crate`",
                "unknown argument `worker_threads`; expected `clock` or `crate`",
                "unknown argument `start_paused`; expected `clock` or `crate`",
            ]
        );
        assert_eq!(args.clock, Clock::Real);
    }

    #[test]
    fn duplicate_argument() {
        let (args, err) = parse(Kind::Test, quote!(clock = "real", clock = "virtual"));
        let msgs: Vec<_> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs, ["duplicate argument `clock`"]);
        // The first occurrence wins.
        assert_eq!(args.clock, Clock::Real);
    }

    #[test]
    fn errors_accumulate_and_good_args_apply() {
        let (args, err) = parse(
            Kind::Test,
            quote!(x = "1", clock = "real", crate = "a b", y = "2"),
        );
        let msgs: Vec<_> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert_eq!(args.clock, Clock::Real);
        assert!(args.krate.is_none());
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            errors(Kind::Test, quote!(clock)),
            ["expected a value: `clock = \"...\"`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(clock = "real" crate = "crate")),
            ["expected `,`"]
        );
    }
}
