mod classify;
mod config;
mod crash;
mod daemon;
mod demo;
mod fetch;
mod replay;
mod util;
