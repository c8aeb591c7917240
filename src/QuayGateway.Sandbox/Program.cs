Console.WriteLine("QuayGateway sandbox: not implemented yet.");
return 0;
