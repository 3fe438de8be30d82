console.log('mmstats CLI: not built yet');
