mod config;
mod daemon;
mod util;
