mod config;
mod daemon;
mod demo;
mod util;
