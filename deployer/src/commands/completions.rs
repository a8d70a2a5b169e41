//! `deployer completions SHELL` and `deployer man`: shell completions (clap_complete)
//! and man pages (clap_mangen), generated from the same parser the binary uses, so they
//! never drift from the flags. `cli.rs` hands in the parser's `clap::Command`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::exit::Code;

#[derive(Debug, Args)]
#[command(after_help = "Install:
  deployer completions bash > ~/.local/share/bash-completion/completions/deployer
  deployer completions zsh  > ~/.zfunc/_deployer     # with fpath+=(~/.zfunc) before compinit
  deployer completions fish > ~/.config/fish/completions/deployer.fish

Exit codes:
  0    the script was written
  2    bad input (an unknown shell)")]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Install:
  deployer man --out-dir ~/.local/share/man/man1 && man deployer

Exit codes:
  0    the pages were written
  1    a page could not be written (I/O)
  2    bad input (flags)")]
pub(crate) struct ManArgs {
    /// Write deployer.1 and one page per subcommand (deployer-deploy.1, ...) into DIR
    /// (created when missing); default: print deployer.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub(crate) fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<Code> {
    // Into memory, then one print: a closed stdout (`| head`) ends quietly (main.rs).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "deployer", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
    Ok(Code::Success)
}

pub(crate) fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<Code> {
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create --out-dir {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            eprintln!("wrote the man pages into {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("cannot render the man page")?;
            print!("{}", String::from_utf8_lossy(&page));
        }
    }
    Ok(Code::Success)
}
