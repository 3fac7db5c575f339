//! Expansion of `#[ferrio::main]` and `#[ferrio::test]`.
//!
//! Only the function's signature is parsed; the body is kept as opaque tokens.
//! The `async fn` is rewritten into a plain function of the same name that
//! declares the original `async fn`, untouched, as a nested item and hands the
//! future it returns to the runtime's hidden entry point:
//!
//! ```text
//! #[attrs] vis fn name() -> R {
//!     async fn name() -> R { body }
//!     ::ferrio::__private::block_on_main(name())
//! }
//! ```
//!
//! Keeping the body in an `async fn` (rather than an `async move { body }`
//! block) keeps its exact meaning: `return` and `?` leave the body, and the
//! declared return type is known while the body is type-checked, so
//! `return Err(Box::new(MyError))` coerces to `Box<dyn Error>` just as in the
//! original function. An async block's output type would only be inferred,
//! from the first `return`, and such code would fail to compile.

use crate::args::{self, Args, Clock, Kind};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{braced, token, AttrStyle, Attribute, Error, Signature, Visibility};

/// Expands `#[ferrio::main]` (`args` are the attribute's arguments, `item`
/// the function it is attached to).
pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args, item)
}

/// Expands `#[ferrio::test]`.
pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args, item)
}

fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let (args, mut errors) = args::parse(kind, args);
    let mut add = |err: Error| match &mut errors {
        Some(errors) => errors.combine(err),
        None => errors = Some(err),
    };

    // Problems with the function itself: report them next to the item exactly
    // as written, so that the user's code still type-checks (and IDEs keep
    // working) while the error is shown.
    let func = match syn::parse2::<EntryFn>(item.clone()) {
        Ok(func) => match func.validate(kind) {
            Ok(()) => Some(func),
            Err(err) => {
                add(err);
                None
            }
        },
        Err(err) => {
            add(err);
            None
        }
    };

    // Problems with the arguments alone still expand, with the arguments
    // that were understood.
    let mut out = match func {
        Some(func) => func.expand(kind, &args),
        None => item,
    };
    if let Some(errors) = errors {
        out.extend(errors.into_compile_error());
    }
    out
}

/// `#[attrs] vis sig { body }`, with the body left unparsed.
struct EntryFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace: token::Brace,
    body: TokenStream,
}

impl Parse for EntryFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let body = content.parse()?;
        Ok(EntryFn {
            attrs,
            vis,
            sig,
            brace,
            body,
        })
    }
}

impl EntryFn {
    fn validate(&self, kind: Kind) -> syn::Result<()> {
        let what = match kind {
            Kind::Main => "functions",
            Kind::Test => "test functions",
        };
        let attr = kind.attr_name();
        let mut errors: Vec<Error> = Vec::new();
        if self.sig.asyncness.is_none() {
            errors.push(Error::new(
                self.sig.fn_token.span,
                "the `async` keyword is missing from the function declaration",
            ));
        }
        if !self.sig.generics.params.is_empty() {
            let msg = format!("{what} marked `{attr}` cannot be generic");
            errors.push(Error::new_spanned(&self.sig.generics, msg));
        } else if let Some(where_clause) = &self.sig.generics.where_clause {
            let msg = format!("{what} marked `{attr}` cannot have a `where` clause");
            errors.push(Error::new_spanned(where_clause, msg));
        }
        if !self.sig.inputs.is_empty() || self.sig.variadic.is_some() {
            let msg = format!("{what} marked `{attr}` cannot take parameters");
            // Point at the parameters, from the first to the last.
            errors.push(if self.sig.inputs.is_empty() {
                Error::new(self.sig.paren_token.span.join(), msg)
            } else {
                Error::new_spanned(&self.sig.inputs, msg)
            });
        }
        if kind == Kind::Test {
            if let Some(attr) = self.attrs.iter().find(|attr| is_test_attr(attr)) {
                errors.push(Error::new_spanned(
                    attr,
                    "second test attribute is supplied; \
                     `#[ferrio::test]` already marks the function as a test",
                ));
            }
        }
        let mut errors = errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }

    fn expand(self, kind: Kind, args: &Args) -> TokenStream {
        let EntryFn {
            attrs,
            vis,
            sig,
            brace,
            body,
        } = self;

        // The original function, minus attributes and visibility, nested
        // inside the generated one. Everything in it keeps the user's spans.
        let mut inner = sig.to_token_stream();
        brace.surround(&mut inner, |tokens| body.to_tokens(tokens));

        let mut outer_sig = sig;
        outer_sig.asyncness = None;
        let name = &outer_sig.ident;

        let krate = args
            .krate
            .as_ref()
            .map_or_else(|| quote!(::ferrio), ToTokens::to_token_stream);
        let (test_attr, call) = match kind {
            Kind::Main => (None, quote!(#krate::__private::block_on_main(#name()))),
            Kind::Test => {
                let virtual_clock = args.clock == Clock::Virtual;
                (
                    Some(quote!(#[::core::prelude::v1::test])),
                    quote!(#krate::__private::block_on_test(#name(), #virtual_clock)),
                )
            }
        };

        quote! {
            #test_attr
            #(#attrs)*
            #vis #outer_sig {
                #inner
                #call
            }
        }
    }
}

/// Whether `attr` is `#[test]` or a path ending in `test` (`#[core::prelude::v1::test]`,
/// `#[ferrio::test]`, `#[tokio::test]`, ...).
fn is_test_attr(attr: &Attribute) -> bool {
    matches!(attr.style, AttrStyle::Outer)
        && attr
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "test")
}

#[cfg(test)]
mod tests {
    use super::{main, test};
    use proc_macro2::TokenStream;
    use quote::quote;

    /// Compares token streams ignoring spacing (`> >` versus `>>`).
    fn assert_tokens(actual: TokenStream, expected: TokenStream) {
        let squash = |tokens: TokenStream| tokens.to_string().replace(' ', "");
        assert_eq!(squash(actual), squash(expected));
    }

    /// The `compile_error!` messages in `out`, in order.
    fn error_messages(out: &TokenStream) -> Vec<String> {
        let mut messages = Vec::new();
        let mut tokens = out.clone().into_iter().peekable();
        while let Some(tt) = tokens.next() {
            if let proc_macro2::TokenTree::Ident(ident) = &tt {
                if ident == "compile_error" {
                    let _bang = tokens.next();
                    let group = tokens.next().expect("compile_error! arguments");
                    let lit: syn::LitStr = syn::parse2(match group {
                        proc_macro2::TokenTree::Group(g) => g.stream(),
                        other => panic!("unexpected {other}"),
                    })
                    .expect("string literal");
                    messages.push(lit.value());
                }
            }
        }
        messages
    }

    #[test]
    fn main_basic() {
        let out = main(
            quote!(),
            quote!(
                async fn main() {
                    println!("hi");
                }
            ),
        );
        assert_tokens(
            out,
            quote! {
                fn main() {
                    async fn main() { println!("hi"); }
                    ::ferrio::__private::block_on_main(main())
                }
            },
        );
    }

    #[test]
    fn main_keeps_attrs_vis_and_return_type() {
        let out = main(
            quote!(),
            quote! {
                /// Docs.
                #[allow(unused)]
                pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
                    #![allow(clippy::all)]
                    if true { return Ok(()); }
                    Ok(())
                }
            },
        );
        assert_tokens(
            out,
            quote! {
                /// Docs.
                #[allow(unused)]
                pub fn main() -> Result<(), Box<dyn std::error::Error>> {
                    async fn main() -> Result<(), Box<dyn std::error::Error>> {
                        #![allow(clippy::all)]
                        if true { return Ok(()); }
                        Ok(())
                    }
                    ::ferrio::__private::block_on_main(main())
                }
            },
        );
    }

    #[test]
    fn main_on_other_name_and_crate_path() {
        let out = main(
            quote!(crate = "crate"),
            quote!(
                async fn run() -> u8 {
                    1
                }
            ),
        );
        assert_tokens(
            out,
            quote! {
                fn run() -> u8 {
                    async fn run() -> u8 { 1 }
                    crate::__private::block_on_main(run())
                }
            },
        );
    }

    #[test]
    fn test_default_virtual_clock() {
        let out = test(
            quote!(),
            quote! {
                #[should_panic]
                async fn it_works() { assert!(false) }
            },
        );
        assert_tokens(
            out,
            quote! {
                #[::core::prelude::v1::test]
                #[should_panic]
                fn it_works() {
                    async fn it_works() { assert!(false) }
                    ::ferrio::__private::block_on_test(it_works(), true)
                }
            },
        );
    }

    #[test]
    fn test_clock_and_crate() {
        let expected = |virtual_clock: bool| {
            quote! {
                #[::core::prelude::v1::test]
                fn t() -> std::io::Result<()> {
                    async fn t() -> std::io::Result<()> { Ok(()) }
                    ::my::ferrio::__private::block_on_test(t(), #virtual_clock)
                }
            }
        };
        let item = quote!(
            async fn t() -> std::io::Result<()> {
                Ok(())
            }
        );
        assert_tokens(
            test(quote!(clock = "real", crate = "::my::ferrio"), item.clone()),
            expected(false),
        );
        assert_tokens(
            test(quote!(crate = "::my::ferrio", clock = "virtual"), item),
            expected(true),
        );
    }

    #[test]
    fn missing_async_keeps_item() {
        let item = quote!(
            fn main() {}
        );
        let out = main(quote!(), item.clone());
        assert_eq!(
            error_messages(&out),
            ["the `async` keyword is missing from the function declaration"]
        );
        assert!(out.to_string().starts_with(&item.to_string()));
    }

    #[test]
    fn parameters_rejected() {
        let item = quote!(
            async fn main(x: u32) {}
        );
        let out = main(quote!(), item.clone());
        assert_eq!(
            error_messages(&out),
            ["functions marked `#[ferrio::main]` cannot take parameters"]
        );
        assert!(out.to_string().starts_with(&item.to_string()));

        let out = test(
            quote!(),
            quote!(
                async fn t(a: u8, b: u8) {}
            ),
        );
        assert_eq!(
            error_messages(&out),
            ["test functions marked `#[ferrio::test]` cannot take parameters"]
        );
    }

    #[test]
    fn generics_rejected() {
        let out = test(
            quote!(),
            quote!(
                async fn t<T: Default>() {}
            ),
        );
        assert_eq!(
            error_messages(&out),
            ["test functions marked `#[ferrio::test]` cannot be generic"]
        );
        let out = main(
            quote!(),
            quote!(
                async fn main()
                where
                    u8: Copy,
                {
                }
            ),
        );
        assert_eq!(
            error_messages(&out),
            ["functions marked `#[ferrio::main]` cannot have a `where` clause"]
        );
    }

    #[test]
    fn second_test_attribute() {
        for attr in [quote!(#[test]), quote!(#[core::prelude::v1::test])] {
            let item = quote!(#attr async fn t() {});
            let out = test(quote!(), item.clone());
            let msgs = error_messages(&out);
            assert_eq!(msgs.len(), 1);
            assert!(msgs[0].starts_with("second test attribute is supplied"));
            assert!(out.to_string().starts_with(&item.to_string()));
        }
        // `#[cfg(test)]` or `#[ignore]` are not test attributes.
        let out = test(
            quote!(),
            quote!(
                #[ignore]
                #[cfg(test)]
                async fn t() {}
            ),
        );
        assert!(error_messages(&out).is_empty());
    }

    #[test]
    fn several_errors_reported_together() {
        let out = test(
            quote!(clock = "wall"),
            quote!(
                #[test]
                fn t(x: u8) {}
            ),
        );
        let msgs = error_messages(&out);
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(msgs[0], "`clock` must be \"virtual\" or \"real\"");
    }

    #[test]
    fn bad_args_still_expand() {
        let out = test(
            quote!(x = "1"),
            quote!(
                async fn t() {}
            ),
        );
        let mut expected = quote! {
            #[::core::prelude::v1::test]
            fn t() {
                async fn t() {}
                ::ferrio::__private::block_on_test(t(), true)
            }
        }
        .to_string();
        expected.push_str(" :: core :: compile_error !");
        assert!(out.to_string().starts_with(&expected), "{out}");
        assert_eq!(
            error_messages(&out),
            ["unknown argument `x`; expected `clock` or `crate`"]
        );
    }

    #[test]
    fn not_a_function() {
        let item = quote!(
            struct S;
        );
        let out = main(quote!(), item.clone());
        assert_eq!(error_messages(&out).len(), 1);
        assert!(out.to_string().starts_with(&item.to_string()));
    }
}
